// skynet: 1M leaf jobs, 10 children per level, each child spawned as a job and awaited.
// References in the same run: the same tree of raw CAF event_based_actors, and Python asyncio.
#include <libactor/libactor.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench_util.hpp"
#include "caf_reference.hpp"

namespace la = libactor;

namespace {

la::job<std::int64_t> skynet(std::int64_t num, std::int64_t size) {
  if (size == 1)
    co_return num;
  std::array<la::handle<std::int64_t>, 10> children;
  const std::int64_t child_size = size / 10;
  for (int i = 0; i < 10; ++i)
    children[i] = la::spawn(skynet(num + i * child_size, child_size));
  std::int64_t sum = 0;
  for (auto& child : children)
    sum += co_await child;
  co_return sum;
}

la::job<void> timed_skynet(long leaves, double& seconds, std::int64_t& sum) {
  auto start = std::chrono::steady_clock::now();
  sum = co_await la::spawn(skynet(0, leaves));
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"skynet: libactor jobs vs raw CAF actors vs Python asyncio"};
  long leaves = 1'000'000;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  int reps = 3;
  bool python = true;
  app.add_option("--leaves", leaves, "leaf jobs (a power of 10)");
  app.add_option("--threads", threads, "worker threads for libactor and CAF");
  app.add_option("--reps", reps, "repetitions (the median is reported)");
  app.add_flag("!--no-python", python, "skip the Python asyncio reference");
  CLI11_PARSE(app, argc, argv);

  const long long expected = static_cast<long long>(leaves) * (leaves - 1) / 2;
  std::vector<double> ours, caf;
  for (int i = 0; i < reps; ++i) {
    double s = 0;
    std::int64_t sum = 0;
    la::run(timed_skynet(leaves, s, sum), la::runtime_config{.threads = threads});
    if (sum != expected) {
      std::fprintf(stderr, "libactor skynet: wrong sum %lld\n", static_cast<long long>(sum));
      return 1;
    }
    ours.push_back(s);
    long long caf_sum = 0;
    caf.push_back(bench::caf_ref::skynet_seconds(static_cast<int>(threads), leaves, &caf_sum));
    if (caf_sum != expected) {
      std::fprintf(stderr, "caf skynet: wrong sum %lld\n", caf_sum);
      return 1;
    }
  }
  // Two idiomatic asyncio forms: awaiting each task (the faster), and asyncio.gather.
  double asyncio = -1, asyncio_gather = -1;
  if (python) {
    auto script = bench::script_dir() + "/skynet.py";
    if (auto line = bench::run_python(script, {std::to_string(leaves)}))
      asyncio = bench::json_number(*line, "seconds");
    if (auto line = bench::run_python(script, {std::to_string(leaves), "--gather"}))
      asyncio_gather = bench::json_number(*line, "seconds");
  }
  const double t = bench::median(ours), c = bench::median(caf);
  std::printf("{\"bench\":\"skynet\",\"leaves\":%ld,\"threads\":%u,\"reps\":%d,\"libactor_s\":%.3f,"
              "\"caf_s\":%.3f,\"asyncio_s\":%.3f,\"asyncio_gather_s\":%.3f,\"time_vs_caf\":%.3f,"
              "\"speedup_vs_asyncio\":%.1f,\"speedup_vs_asyncio_gather\":%.1f}\n",
              leaves, threads, reps, t, c, asyncio, asyncio_gather, t / c, asyncio > 0 ? asyncio / t : -1.0,
              asyncio_gather > 0 ? asyncio_gather / t : -1.0);
  std::printf("libactor %.3f s, raw CAF %.3f s: time ratio %.2f (target <= 1.0)\n", t, c, t / c);
  if (asyncio > 0)
    std::printf("asyncio %.3f s (await each task): libactor is %.1fx faster (target >= 10x)\n", asyncio, asyncio / t);
  if (asyncio_gather > 0)
    std::printf("asyncio %.3f s (gather): libactor is %.1fx faster\n", asyncio_gather, asyncio_gather / t);
  return 0;
}
