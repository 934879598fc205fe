// asyncio.gather (from the asyncio tutorial):
//   async def main():
//       task1 = asyncio.create_task(my_coroutine(2))
//       task2 = asyncio.create_task(my_coroutine(1))
//       await asyncio.gather(task1, task2)  # Run both tasks concurrently
// la::gather takes the jobs themselves and spawns each as its own actor; results come back in
// argument order, and if one job fails the others are cancelled before the error is rethrown.
#include <libactor/libactor.hpp>

#include <chrono>
#include <cstdio>
#include <string>

namespace la = libactor;
using namespace std::chrono_literals;

la::job<std::string> my_coroutine(int delay_tenths) {
  std::printf("Coroutine started, sleeping for %d00 ms...\n", delay_tenths);
  co_await la::sleep(delay_tenths * 100ms);  // the tutorial sleeps 2 s and 1 s
  std::printf("Coroutine finished!\n");
  co_return "Slept for " + std::to_string(delay_tenths) + "00 ms";
}

la::job<int> amain() {
  auto [first, second] = co_await la::gather(my_coroutine(2), my_coroutine(1));  // run both concurrently
  std::printf("%s, %s\n", first.c_str(), second.c_str());  // argument order, not completion order
  co_return 0;
}

int main(int argc, char** argv) { return la::run(amain(), argc, argv); }
