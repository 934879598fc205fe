// cancellation: cancel a running job; it cleans up and ends as cancelled, and awaiting it raises
// la::cancelled.   task.cancel(); await task  ->  h.cancel(); co_await h
#include <libactor/libactor.hpp>

#include <cstdio>

namespace la = libactor;
using namespace std::chrono_literals;

la::job<void> my_coroutine() {
  try {
    co_await la::sleep(5s);
    std::printf("Coroutine finished!\n");
  } catch (const la::cancelled&) {
    std::printf("Coroutine was cancelled!\n");  // cleanup goes here
    throw;  // end the job as cancelled (asyncio's snippet swallows it)
  }
}

la::job<int> amain() {
  auto task = la::spawn(my_coroutine(), {.name = "my_coroutine"});
  co_await la::sleep(200ms);  // the tutorial waits 1 s
  task.cancel();
  try {
    co_await task;  // waits until the job has ended
  } catch (const la::cancelled&) {
    std::printf("Main task caught cancellation\n");
  }
  co_return 0;
}

int main(int argc, char** argv) { return la::run(amain(), argc, argv); }
