// The tutorial's async generator:
//   async def async_generator(n):
//       for i in range(n):
//           await asyncio.sleep(0.1)  # Simulate I/O operation
//           yield i
//   async for item in async_generator(5):
//       print(item)
// Then stopping early: aclose() lets the generator's cleanup co_await before it ends.
#include <libactor/libactor.hpp>

#include <chrono>
#include <cstdio>

namespace la = libactor;
using namespace std::chrono_literals;

la::async_generator<int> async_generator(int n) {
  for (int i = 0; i < n; ++i) {
    co_await la::sleep(100ms);  // simulate an I/O operation
    co_yield i;
  }
}

// An endless sequence whose cleanup must itself wait (say, to tell a sensor to stop).
la::async_generator<int> readings() {
  try {
    for (int i = 1;; ++i) {
      co_await la::sleep(100ms);
      co_yield i * 10;
    }
  } catch (const la::generator_exit&) {
    // C++ allows no co_await inside a catch block: clean up after it.
  }
  co_await la::sleep(10ms);
  std::printf("readings: sensor stopped\n");
}

la::job<int> amain() {
  auto gen = async_generator(5);
  while (auto item = co_await gen.next())  // `async for item in async_generator(5)`
    std::printf("%d\n", *item);

  auto sensor = readings();
  for (int taken = 0; taken < 2; ++taken) {
    auto value = co_await sensor.next();
    std::printf("reading %d\n", *value);
  }
  co_await sensor.aclose();  // generator_exit at the suspended co_yield; its cleanup runs to the end
  std::printf("done\n");
  co_return 0;
}

int main(int argc, char** argv) { return la::run(amain(), argc, argv); }
