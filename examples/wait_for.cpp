// wait_for: give a job at most a given time; on timeout it is cancelled, has ended, and
// la::timeout_error is thrown.   result = await asyncio.wait_for(my_coroutine(), timeout=2)
#include <libactor/libactor.hpp>

#include <cstdio>
#include <string>

namespace la = libactor;
using namespace std::chrono_literals;

la::job<std::string> my_coroutine() {
  co_await la::sleep(10s);  // simulate a long-running task
  co_return "Coroutine finished";
}

la::job<int> amain() {
  try {
    std::string result = co_await la::wait_for(my_coroutine(), 200ms);  // the tutorial waits 2 s
    std::printf("%s\n", result.c_str());
  } catch (const la::timeout_error&) {
    std::printf("Coroutine timed out!\n");
  }
  co_return 0;
}

int main(int argc, char** argv) { return la::run(amain(), argc, argv); }
