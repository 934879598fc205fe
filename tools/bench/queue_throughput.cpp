// queue_throughput: N ints through a bounded la::queue<int> from a producer job to a consumer job
// with two worker threads. References in the same run: raw CAF, one event_based_actor sending the
// same N ints to another — once with credit-based flow control (window = the queue's capacity,
// the fair comparison for a bounded queue) and once flooding the receiver's unbounded mailbox.
//
// Where the two jobs run is the scheduler's choice (no public API pins a job to a worker), so the
// program samples it and prints the share of samples in which producer and consumer were on
// different threads. Under work stealing (the default) a job woken by its peer is queued on the
// peer's worker, and the idle worker steals rarely: the two mostly alternate on one worker in
// batches of up to `capacity` items. `--policy sharing` (one shared queue, CAF uses the same
// policy) makes real cross-thread hand-offs more likely while the machine is otherwise idle.
#include <libactor/libactor.hpp>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench_util.hpp"
#include "caf_reference.hpp"

namespace la = libactor;

namespace {

// Every `sample_every` items the producer publishes the thread it runs on and the consumer
// compares it with its own: the share of samples on different threads tells how often the items
// crossed between workers (sampled, so the check costs nothing measurable).
constexpr long sample_every = 4096;

struct shared_state {
  explicit shared_state(std::size_t capacity) : q(capacity) {}
  la::queue<int> q;
  std::atomic<std::thread::id> producer_thread{};
  long samples = 0;
  long cross_thread_samples = 0;
};

la::job<void> producer(shared_state& st, long n) {
  for (long i = 0; i < n; ++i) {
    if (i % sample_every == 0)
      st.producer_thread.store(std::this_thread::get_id(), std::memory_order_relaxed);
    co_await st.q.put(static_cast<int>(i));
  }
}

la::job<void> consumer(shared_state& st, long n, long long& sum) {
  for (long i = 0; i < n; ++i) {
    sum += co_await st.q.get();
    if (i % sample_every == 0) {
      ++st.samples;
      if (st.producer_thread.load(std::memory_order_relaxed) != std::this_thread::get_id())
        ++st.cross_thread_samples;
    }
  }
}

la::job<void> timed_queue(long n, std::size_t capacity, double& items_per_sec, long long& sum,
                          double& cross_thread_share) {
  shared_state st{capacity};
  auto start = std::chrono::steady_clock::now();
  auto c = la::spawn(consumer(st, n, sum), {.name = "consumer"});
  auto p = la::spawn(producer(st, n), {.name = "producer"});
  co_await p;
  co_await c;
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  items_per_sec = static_cast<double>(n) / s;
  cross_thread_share = st.samples > 0 ? static_cast<double>(st.cross_thread_samples) / st.samples : 0.0;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"queue_throughput: la::queue<int> between two jobs vs two raw CAF actors"};
  long items = 2'000'000;
  std::size_t capacity = 1024;
  unsigned threads = 2;
  int reps = 5;
  std::string policy = "stealing";
  app.add_option("--items", items, "ints sent from producer to consumer")->check(CLI::Range(1L, long{INT_MAX}));
  app.add_option("--capacity", capacity, "queue capacity (also the CAF reference's credit window)")
    ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30));
  app.add_option("--threads", threads, "worker threads for libactor and CAF");
  bench::add_policy_option(app, policy, "scheduler policy for libactor and CAF: stealing or sharing");
  app.add_option("--reps", reps, "repetitions (the median is reported)")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  const bool sharing = policy == "sharing";
  const la::runtime_config config{.threads = threads, .policy = bench::policy_of(policy)};
  const long long expected = static_cast<long long>(items) * (items - 1) / 2;
  std::vector<double> ours, caf_window, caf_flood, cross;
  for (int i = 0; i < reps; ++i) {
    double r = 0, share = 0;
    long long sum = 0;
    la::run(timed_queue(items, capacity, r, sum, share), config);
    if (sum != expected) {
      std::fprintf(stderr, "libactor queue: wrong sum %lld\n", sum);
      return 1;
    }
    ours.push_back(r);
    cross.push_back(share);
    for (auto [window, out] : {std::pair{static_cast<long>(capacity), &caf_window}, std::pair{0L, &caf_flood}}) {
      long long caf_sum = 0;
      out->push_back(bench::caf_ref::stream_items_per_sec(static_cast<int>(threads), sharing, items, window, &caf_sum));
      if (caf_sum != expected) {
        std::fprintf(stderr, "caf stream (window %ld): wrong sum %lld\n", window, caf_sum);
        return 1;
      }
    }
  }
  const double t = bench::median(ours), cw = bench::median(caf_window), cf = bench::median(caf_flood);
  const double share = bench::median(cross);
  std::printf("{\"bench\":\"queue_throughput\",\"policy\":\"%s\",\"items\":%ld,\"capacity\":%zu,\"threads\":%u,"
              "\"reps\":%d,\"libactor_items_per_s\":%.0f,\"caf_window_items_per_s\":%.0f,\"caf_flood_items_per_s\":%.0f,"
              "\"throughput_vs_caf_window\":%.3f,\"throughput_vs_caf_flood\":%.3f,\"cross_thread_share\":%.2f}\n",
              policy.c_str(), items, capacity, threads, reps, t, cw, cf, t / cw, t / cf, share);
  std::printf("libactor queue %.2f M items/s (%.0f%% of samples crossed threads); raw CAF with a %zu-item credit "
              "window %.2f M items/s: ratio %.2f\n",
              t / 1e6, share * 100, capacity, cw / 1e6, t / cw);
  std::printf("raw CAF flooding an unbounded mailbox %.2f M items/s: ratio %.2f\n", cf / 1e6, t / cf);
  return 0;
}
