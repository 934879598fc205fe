#include "runtime.hpp"

#include <algorithm>
#include <thread>

#include <caf/atom.hpp>


namespace libactor::detail {

namespace {
std::atomic<runtime*> the_runtime{nullptr};
} // namespace

runtime* runtime::current() noexcept { return the_runtime.load(std::memory_order_acquire); }

runtime::runtime(const runtime_config& config)
  : timers_(std::make_unique<timer_service>(config.virtual_time)), shutdown_grace_(config.shutdown_grace) {
  if (config.blocking_threads == 0)
    throw config_error("libactor: runtime_config::blocking_threads must be at least 1");
  runtime* expected = nullptr;
  if (!the_runtime.compare_exchange_strong(expected, this))
    throw usage_error("libactor: run() called while a runtime is already running");
  auto cores = std::max(1u, std::thread::hardware_concurrency());
  auto threads = config.threads != 0 ? config.threads : cores;
  pools_ = std::make_unique<offload_pools>(config.blocking_threads, config.cpu_threads != 0 ? config.cpu_threads : cores,
                                           *timers_);
  cfg_.set("scheduler.max-threads", static_cast<size_t>(threads));
  cfg_.set("scheduler.policy",
           config.policy == scheduler_policy::work_sharing ? caf::atom("sharing") : caf::atom("stealing"));
  // An idle CAF worker first spins, then polls with 50 µs sleeps for 500 rounds (which the kernel's
  // timer slack stretches), and only then waits on a condition variable that an enqueue from
  // another thread signals. Wake-ups from outside the workers — to_thread completions, timers, I/O —
  // then wait out a sleep: to_thread's round trip was 96 µs at p50. Skipping the sleeping rounds
  // makes it 18 µs; skynet, ping-pong and queue throughput are unchanged or faster
  // (docs/performance.md). Idle workers also stop burning CPU sooner.
  cfg_.set("work-stealing.moderate-poll-attempts", size_t{0});
  try {
    system_ = new caf::actor_system(cfg_);
  } catch (...) {
    the_runtime.store(nullptr, std::memory_order_release);
    throw;
  }
  io_ = std::make_unique<io_threads>(*system_, config.io_threads != 0 ? config.io_threads : cores);
}

runtime::~runtime() {
  // Offloaded calls first: their completions unpark jobs through the actor system. A call that
  // outlives the grace period is left running, with the pools leaked (see offload_pools.hpp).
  if (!pools_->drain(shutdown_grace_))
    (void)pools_.release();
  // Then the I/O threads: every job has ended (run() reaped them), so what is left are sockets
  // nobody awaits; destroying the io_contexts closes them and gives back queued turns' references.
  // All threads stop before any is destroyed: a handler still running on one may reach the others
  // through io() (an accept loop picking the next thread).
  io_->stop();
  io_.reset();
  // The actor system first: deleting it joins the workers, which may still be finishing the turn
  // in which a job ended (and touch the timers). Timers firing meanwhile find closed mailboxes.
  delete system_;
  timers_.reset();
  the_runtime.store(nullptr, std::memory_order_release);
}

void runtime::abandon() noexcept {
  // A job that never suspends again may be stuck on an I/O thread: joining it would hang too.
  (void)io_.release();
  system_ = nullptr;
}

void runtime::add_live(record_base& rec) noexcept {
  rec.retain();
  auto& s = shard_of(rec);
  {
    std::lock_guard guard{s.mu};
    rec.live_next = s.head;
    if (s.head != nullptr)
      s.head->live_prev = &rec;
    s.head = &rec;
  }
  live_.fetch_add(1, std::memory_order_relaxed);
}

void runtime::remove_live(record_base& rec) noexcept {
  auto& s = shard_of(rec);
  {
    std::lock_guard guard{s.mu};
    if (rec.live_prev != nullptr)
      rec.live_prev->live_next = rec.live_next;
    else
      s.head = rec.live_next;
    if (rec.live_next != nullptr)
      rec.live_next->live_prev = rec.live_prev;
    rec.live_prev = rec.live_next = nullptr;
  }
  if (live_.fetch_sub(1, std::memory_order_acq_rel) == 1 && idle_waiter_.load(std::memory_order_acquire)) {
    std::lock_guard guard{idle_mu_};
    idle_cv_.notify_all();
  }
  rec.release();
}

std::vector<record_ptr<record_base>> runtime::live_jobs() {
  std::vector<record_ptr<record_base>> result;
  for (auto& s : shards_) {
    std::lock_guard guard{s.mu};
    for (auto* r = s.head; r != nullptr; r = r->live_next) {
      r->retain();
      result.emplace_back(r);
    }
  }
  std::sort(result.begin(), result.end(), [](auto& a, auto& b) { return a->id() < b->id(); });
  return result;
}

bool runtime::wait_until_idle(std::chrono::milliseconds timeout) {
  idle_waiter_.store(true, std::memory_order_release);
  std::unique_lock lock{idle_mu_};
  return idle_cv_.wait_for(lock, timeout, [this] { return live_count() == 0; });
}

} // namespace libactor::detail
