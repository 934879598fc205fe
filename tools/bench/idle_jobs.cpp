// idle_jobs: memory per suspended job — 100k spawned jobs sleeping — against 100k sleeping
// asyncio tasks (Python, same run).
#include <libactor/libactor.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench_util.hpp"

namespace la = libactor;
using namespace std::chrono_literals;

namespace {

la::job<void> sleeper(std::atomic<long>& started) {
  started.fetch_add(1, std::memory_order_relaxed);
  co_await la::sleep(1h);
}

la::job<void> measure(long n, double& bytes_per_job) {
  std::atomic<long> started{0};
  std::vector<la::handle<void>> jobs;
  jobs.reserve(n);
  co_await la::yield();
  long before = bench::rss_kb();
  for (long i = 0; i < n; ++i)
    jobs.push_back(la::spawn(sleeper(started)));
  while (started.load(std::memory_order_relaxed) < n)
    co_await la::yield();  // every job has run up to its sleep
  co_await la::yield();
  long after = bench::rss_kb();
  // Everything counts, the vector of handles included (asyncio's list of tasks counts there too).
  bytes_per_job = static_cast<double>(after - before) * 1024.0 / static_cast<double>(n);
  for (auto& j : jobs)
    j.cancel();
  for (auto& j : jobs) {
    try {
      co_await j;
    } catch (const la::cancelled&) {
    }
  }
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"idle_jobs: RSS per suspended job vs asyncio tasks"};
  long n = 100'000;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  bool python = true;
  app.add_option("--jobs", n, "suspended jobs");
  app.add_option("--threads", threads, "worker threads");
  app.add_flag("!--no-python", python, "skip the Python asyncio reference");
  CLI11_PARSE(app, argc, argv);

  double ours = 0;
  la::run(measure(n, ours), la::runtime_config{.threads = threads});
  double asyncio = -1;
  if (python) {
    if (auto line = bench::run_python(bench::script_dir() + "/idle_tasks.py", {std::to_string(n), "--sleep"}))
      asyncio = bench::json_number(*line, "rss_bytes_per_task");
  }
  std::printf("{\"bench\":\"idle_jobs\",\"jobs\":%ld,\"threads\":%u,\"libactor_bytes_per_job\":%.0f,"
              "\"asyncio_bytes_per_task\":%.0f,\"ratio_vs_asyncio\":%.2f}\n",
              n, threads, ours, asyncio, asyncio > 0 ? ours / asyncio : -1.0);
  std::printf("libactor %.0f B per sleeping job (target <= 1024), asyncio %.0f B per sleeping task\n", ours, asyncio);
  return 0;
}
