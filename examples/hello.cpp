// The tutorial's first coroutine: print, sleep, print.
//   async def my_coroutine(delay): ... await asyncio.sleep(delay) ...
#include <libactor/libactor.hpp>

#include <cstdio>

namespace la = libactor;
using namespace std::chrono_literals;

la::job<void> my_coroutine(std::chrono::seconds delay) {
  std::printf("Coroutine started, sleeping for %lld seconds...\n", static_cast<long long>(delay.count()));
  co_await la::sleep(delay);  // suspends this job only; the worker thread runs other jobs meanwhile
  std::printf("Coroutine finished!\n");
}

int main(int argc, char** argv) {
  // my_coroutine(1s) alone runs nothing (jobs are lazy); run() is asyncio.run: it starts the
  // runtime, runs the job to its end and returns 0 (or 1 if it threw).
  return la::run(my_coroutine(1s), argc, argv);
}
