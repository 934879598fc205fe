#pragma once
// timer_service: the clock and timers of one runtime.
//
// One thread keeps a min-heap of (deadline, actor, token) and, when a deadline is reached, puts a
// `timer` signal into that actor's mailbox. Entries hold weak references, so a timer never keeps a
// finished job alive. A wait that ends early cancels its timer, so a job that waits with a long
// timeout many times a second (an HTTP read timeout) does not pile up entries until their
// deadlines — nor, under virtual time, make the clock jump to deadlines nobody waits for.
//
// Cancellation is lazy: a cancelled entry's sequence number goes into a set; entries in it are
// skipped when they come to the top, and the heap is compacted once they are half of it. (An
// ordered set with eager removal was tried: with a million timers its pointer chasing under the
// lock made wake-ups late, p99 2.6 ms → 20 ms in bench_timers.)
//
// Virtual time (Trio's MockClock with autojump): the clock stands still while any job is scheduled
// or running, and jumps straight to the next deadline as soon as none is. The runtime reports
// busy/idle transitions through busy_inc/busy_dec.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <unordered_set>
#include <thread>
#include <vector>

#include <caf/actor_control_block.hpp>
#include <caf/weak_intrusive_ptr.hpp>

namespace libactor::detail {

class timer_service {
public:
  using time_point = std::chrono::steady_clock::time_point;

  explicit timer_service(bool virtual_time);
  ~timer_service();
  timer_service(const timer_service&) = delete;
  timer_service& operator=(const timer_service&) = delete;

  bool is_virtual() const noexcept { return virtual_; }
  time_point now() const noexcept;
  /// Identifies a scheduled timer, for cancel().
  struct timer_id {
    time_point deadline{};
    std::uint64_t seq = 0;  // 0: none
  };
  /// Sends signal{kind, token} to `target` at `deadline` (kind: a wait's timer or a callback).
  timer_id schedule(time_point deadline, caf::actor_control_block* target, std::uint8_t kind, std::uint32_t token);
  /// Forgets a timer that has not fired yet (no effect once it has).
  void cancel(const timer_id& id);
  std::size_t pending() const;

  // Virtual time only: the number of jobs scheduled or running.
  void busy_inc() noexcept { busy_.fetch_add(1, std::memory_order_relaxed); }
  void busy_dec() noexcept;

private:
  struct entry {
    time_point deadline;
    std::uint64_t seq;  // FIFO among equal deadlines
    caf::weak_actor_ptr target;
    std::uint32_t token;
    std::uint8_t kind;
    bool operator>(const entry& other) const noexcept {
      return deadline != other.deadline ? deadline > other.deadline : seq > other.seq;
    }
  };
  void run();
  void fire_due(std::unique_lock<std::mutex>& lock, time_point now);
  /// Pops cancelled entries off the top, so that heap_.front() (if any) is a live timer.
  void drop_cancelled_top();
  void pop_top();

  const bool virtual_;
  std::atomic<std::int64_t> virtual_now_;  // ns since the steady clock's epoch
  std::atomic<std::int64_t> busy_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<entry> heap_;                   // earliest on top
  std::unordered_set<std::uint64_t> cancelled_;  // seqs of entries to skip (some may have fired already)
  std::uint64_t next_seq_ = 1;
  bool stop_ = false;
  std::thread thread_;
};

} // namespace libactor::detail
