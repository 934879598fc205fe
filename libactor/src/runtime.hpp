#pragma once
// runtime: one running libactor runtime (an actor system plus the registry of live jobs).
// run() creates it; spawn() from any thread finds it through runtime::current().

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include <libactor/detail/record.hpp>
#include <libactor/run.hpp>

#include "io_threads.hpp"
#include "offload_pools.hpp"
#include "timers.hpp"

namespace libactor::detail {

class runtime {
public:
  explicit runtime(const runtime_config& config);
  ~runtime();

  /// The runtime of this process, or nullptr.
  static runtime* current() noexcept;

  caf::actor_system& system() noexcept { return *system_; }
  timer_service& timers() noexcept { return *timers_; }
  offload_pools& pools() noexcept { return *pools_; }
  io_threads& io() noexcept { return *io_; }

  // -- registry of live jobs (so that shutdown can cancel, kill and name them) ---------------
  void add_live(record_base& rec) noexcept;
  void remove_live(record_base& rec) noexcept;
  std::int64_t live_count() const noexcept { return live_.load(std::memory_order_acquire); }
  /// References to every live job.
  std::vector<record_ptr<record_base>> live_jobs();
  /// Waits until no job is live or `timeout` passed; true when none is live.
  bool wait_until_idle(std::chrono::milliseconds timeout);

  /// Leaves the actor system running forever (for jobs that never suspend again).
  void abandon() noexcept;

private:
  struct alignas(64) shard {
    std::mutex mu;
    record_base* head = nullptr;
  };
  static constexpr std::size_t shard_count = 16;
  shard& shard_of(const record_base& rec) noexcept { return shards_[rec.id() % shard_count]; }

  std::unique_ptr<timer_service> timers_;
  std::unique_ptr<offload_pools> pools_;
  std::chrono::milliseconds shutdown_grace_;
  caf::actor_system_config cfg_;
  caf::actor_system* system_;
  std::unique_ptr<io_threads> io_;  // after system_: its threads run job turns
  std::array<shard, shard_count> shards_;
  std::atomic<std::int64_t> live_{0};
  std::mutex idle_mu_;
  std::condition_variable idle_cv_;
  std::atomic<bool> idle_waiter_{false};
};

} // namespace libactor::detail
