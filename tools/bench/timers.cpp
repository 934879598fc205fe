// timers: 1M concurrent sleeping jobs, each sleeping a random duration in [0, 10 s] from when it
// starts: lateness percentiles (wake-up time minus deadline) and peak RSS, against 100k sleeping
// asyncio tasks (Python, same run, same method).
#include <libactor/libactor.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench_util.hpp"

namespace la = libactor;
using namespace std::chrono_literals;

namespace {

la::job<void> sleeper(la::clock::duration delay, float* lateness_ms) {
  auto deadline = la::clock::now() + delay;
  co_await la::sleep_until(deadline);
  *lateness_ms = std::chrono::duration<float, std::milli>(la::clock::now() - deadline).count();
}

la::job<void> measure(long n, std::vector<float>& lateness) {
  std::mt19937_64 rng{42};
  std::uniform_int_distribution<long> offset_us{0, 10'000'000};
  std::vector<la::handle<void>> jobs;
  jobs.reserve(n);
  for (long i = 0; i < n; ++i) {
    jobs.push_back(la::spawn(sleeper(std::chrono::microseconds{offset_us(rng)}, &lateness[i])));
    if (i % 1000 == 999)
      co_await la::yield();  // a million spawns in one turn would hold a worker for a second
  }
  for (auto& j : jobs)
    co_await j;
}

long peak_rss_kb() {
  std::ifstream status{"/proc/self/status"};
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0)
      return std::stol(line.substr(6));
  return -1;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"timers: 1M sleeping jobs (lateness, peak RSS) vs asyncio"};
  long n = 1'000'000, python_tasks = 100'000;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  bool python = true;
  std::string policy = "stealing";
  app.add_option("--jobs", n, "sleeping jobs");
  bench::add_policy_option(app, policy);
  app.add_option("--python-tasks", python_tasks, "sleeping asyncio tasks in the reference");
  app.add_option("--threads", threads, "worker threads");
  app.add_flag("!--no-python", python, "skip the Python asyncio reference");
  CLI11_PARSE(app, argc, argv);

  std::vector<float> lateness(static_cast<size_t>(n));
  la::run(measure(n, lateness),
          la::runtime_config{.threads = threads, .policy = bench::policy_of(policy)});
  std::sort(lateness.begin(), lateness.end());
  auto pick = [&](double q) { return lateness[std::min(lateness.size() - 1, static_cast<size_t>(q * lateness.size()))]; };
  const long rss = peak_rss_kb();

  double py_p50 = -1, py_p99 = -1, py_rss = -1;
  if (python) {
    if (auto line = bench::run_python(bench::script_dir() + "/timers.py", {std::to_string(python_tasks)})) {
      py_p50 = bench::json_number(*line, "p50_ms");
      py_p99 = bench::json_number(*line, "p99_ms");
      py_rss = bench::json_number(*line, "peak_rss_kb");
    }
  }
  std::printf("{\"bench\":\"timers\",\"policy\":\"%s\",\"jobs\":%ld,\"threads\":%u,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,"
              "\"max_ms\":%.3f,\"peak_rss_mb\":%.1f,\"asyncio_tasks\":%ld,\"asyncio_p50_ms\":%.3f,"
              "\"asyncio_p99_ms\":%.3f,\"asyncio_peak_rss_mb\":%.1f}\n",
              policy.c_str(), n, threads, pick(0.5), pick(0.99), pick(0.999), lateness.back(), rss / 1024.0, python_tasks, py_p50,
              py_p99, py_rss / 1024.0);
  std::printf("libactor, %ld jobs: lateness p50 %.3f ms, p99 %.3f ms (target < 5 ms); peak RSS %.0f MB (target < 1536)\n",
              n, pick(0.5), pick(0.99), rss / 1024.0);
  if (py_p99 >= 0)
    std::printf("asyncio, %ld tasks: lateness p50 %.3f ms, p99 %.3f ms; peak RSS %.0f MB\n", python_tasks, py_p50, py_p99,
                py_rss / 1024.0);
  return 0;
}
