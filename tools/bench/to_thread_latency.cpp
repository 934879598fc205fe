// to_thread_latency: round trip of `co_await la::to_thread(trivial, i)`, one call after another
// from one job: p50/p99 latency and calls per second. Reference in the same run: the same with
// asyncio.to_thread (Python's default executor).
#include <libactor/libactor.hpp>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench_util.hpp"

namespace la = libactor;

namespace {

// Calls made before timing starts (the blocking pool starts its threads on first use).
constexpr long warmup = 100;

int trivial(int x) { return x + 1; }

struct result {
  double p50_us = 0, p99_us = 0, calls_per_s = 0;
};

la::job<void> measure(long k, result& out, bool& wrong) {
  for (long i = 0; i < warmup; ++i)
    co_await la::to_thread(trivial, static_cast<int>(i));
  std::vector<double> lat_us(static_cast<std::size_t>(k));
  using clock = std::chrono::steady_clock;
  auto start = clock::now();
  for (long i = 0; i < k; ++i) {
    auto t0 = clock::now();
    int r = co_await la::to_thread(trivial, static_cast<int>(i));
    lat_us[i] = std::chrono::duration<double, std::micro>(clock::now() - t0).count();
    wrong = wrong || r != static_cast<int>(i) + 1;
  }
  double s = std::chrono::duration<double>(clock::now() - start).count();
  std::sort(lat_us.begin(), lat_us.end());
  auto pick = [&](double q) {
    return lat_us[std::min(lat_us.size() - 1, static_cast<std::size_t>(q * lat_us.size()))];
  };
  out = result{pick(0.5), pick(0.99), static_cast<double>(k) / s};
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"to_thread_latency: sequential la::to_thread round trips vs asyncio.to_thread"};
  long calls = 20'000;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  int reps = 3;
  bool python = true;
  std::string policy = "stealing";
  app.add_option("--calls", calls, "sequential to_thread calls per repetition")->check(CLI::Range(1L, long{INT_MAX}));
  app.add_option("--threads", threads, "worker threads");
  bench::add_policy_option(app, policy);
  app.add_option("--reps", reps, "repetitions (the medians are reported)")->check(CLI::PositiveNumber);
  app.add_flag("!--no-python", python, "skip the Python asyncio reference");
  CLI11_PARSE(app, argc, argv);
  const la::runtime_config config{.threads = threads, .policy = bench::policy_of(policy)};

  std::vector<double> p50, p99, rate;
  for (int i = 0; i < reps; ++i) {
    result r;
    bool wrong = false;
    la::run(measure(calls, r, wrong), config);
    if (wrong) {
      std::fprintf(stderr, "to_thread_latency: a call returned a wrong result\n");
      return 1;
    }
    p50.push_back(r.p50_us);
    p99.push_back(r.p99_us);
    rate.push_back(r.calls_per_s);
  }
  // The script repeats `reps` times itself and reports its medians.
  double py_p50 = -1, py_p99 = -1, py_rate = -1;
  if (python) {
    if (auto line = bench::run_python(bench::script_dir() + "/to_thread.py",
                                      {std::to_string(calls), "--reps", std::to_string(reps)})) {
      py_p50 = bench::json_number(*line, "p50_us");
      py_p99 = bench::json_number(*line, "p99_us");
      py_rate = bench::json_number(*line, "calls_per_s");
    }
  }
  const double t50 = bench::median(p50), t99 = bench::median(p99), tr = bench::median(rate);
  const bool have_py = py_rate > 0;
  std::printf("{\"bench\":\"to_thread_latency\",\"policy\":\"%s\",\"calls\":%ld,\"threads\":%u,\"reps\":%d,"
              "\"libactor_p50_us\":%.1f,\"libactor_p99_us\":%.1f,\"libactor_calls_per_s\":%.0f,"
              "\"asyncio_p50_us\":%.1f,\"asyncio_p99_us\":%.1f,\"asyncio_calls_per_s\":%.0f,"
              "\"p50_vs_asyncio\":%.3f,\"p99_vs_asyncio\":%.3f,\"throughput_vs_asyncio\":%.2f}\n",
              policy.c_str(), calls, threads, reps, t50, t99, tr, py_p50, py_p99, py_rate,
              have_py ? t50 / py_p50 : -1.0, have_py ? t99 / py_p99 : -1.0, have_py ? tr / py_rate : -1.0);
  std::printf("libactor to_thread: p50 %.1f us, p99 %.1f us, %.0f calls/s\n", t50, t99, tr);
  if (have_py)
    std::printf("asyncio.to_thread: p50 %.1f us, p99 %.1f us, %.0f calls/s: libactor latency ratio p50 %.2f, "
                "p99 %.2f; throughput %.2fx\n",
                py_p50, py_p99, py_rate, t50 / py_p50, t99 / py_p99, tr / py_rate);
  return 0;
}
