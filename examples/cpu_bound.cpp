// CPU-bound work off the job workers: the tutorial's ProcessPoolExecutor example.
//   def cpu_bound_task(n):
//       result = 0
//       for i in range(n):
//           result += i * i
//       return result
//   with concurrent.futures.ProcessPoolExecutor() as executor:
//       result = await loop.run_in_executor(executor, cpu_bound_task, 10000000)
//       print(f"CPU-bound task result: {result}")
// la::to_cpu_pool runs it on the CPU pool (one thread per core, separate from the workers that run
// jobs): the job suspends meanwhile, and the workers stay free for other jobs.
#include <libactor/libactor.hpp>

#include <cstdio>
#include <string>

namespace la = libactor;

using uint128 = unsigned __int128;  // the sum is 3.3e20: more than 64 bits (Python's ints just grow)

uint128 cpu_bound_task(long n) {  // a plain function, not a job
  uint128 result = 0;
  for (long i = 0; i < n; ++i)
    result += static_cast<uint128>(i) * i;
  return result;
}

std::string to_string(uint128 v) {
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + v % 10));
    v /= 10;
  } while (v != 0);
  return digits;
}

la::job<int> amain() {
  uint128 result = co_await la::to_cpu_pool(cpu_bound_task, 10'000'000L);
  std::string text = to_string(result);
  std::printf("CPU-bound task result: %s\n", text.c_str());
  co_return text == "333333283333335000000" ? 0 : 1;
}

int main(int argc, char** argv) { return la::run(amain(), argc, argv); }
