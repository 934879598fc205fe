// Task groups (asyncio.TaskGroup, Trio's nursery):
//   async with asyncio.TaskGroup() as tg:
//       tg.create_task(fetch("url1"))
//       tg.create_task(fetch("url2"))
//   # here every task has ended; a failure cancelled the others and raised an ExceptionGroup
#include <libactor/libactor.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace la = libactor;
using namespace std::chrono_literals;

la::job<void> fetch(std::string url, std::chrono::milliseconds delay) {
  co_await la::sleep(delay);  // simulated network I/O
  std::printf("Fetched data from %s\n", url.c_str());
}

la::job<void> broken(std::chrono::milliseconds delay) {
  co_await la::sleep(delay);
  throw std::runtime_error("connection reset");
}

// The body gets the group and spawns into it; run() returns once the body and all children ended.
la::job<void> fetch_all(la::task_group& g) {
  g.spawn(fetch("url1", 100ms), {.name = "fetch-1"});
  g.spawn(fetch("url2", 200ms), {.name = "fetch-2"});
  co_return;
}

la::job<void> fetch_with_failure(la::task_group& g) {
  g.spawn(fetch("url3", 1h), {.name = "fetch-3"});  // cancelled when fetch-4 fails
  g.spawn(broken(100ms), {.name = "fetch-4"});
  co_return;
}

la::job<int> amain() {
  co_await la::task_group::run(fetch_all);
  std::printf("all fetched\n");
  try {
    co_await la::task_group::run(fetch_with_failure);
  } catch (const la::exception_group& e) {
    std::printf("%s\n", e.what());  // names fetch-4; fetch-3 was cancelled, not failed
  }
  co_return 0;
}

int main(int argc, char** argv) { return la::run(amain(), argc, argv); }
