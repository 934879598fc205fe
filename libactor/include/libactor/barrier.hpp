#pragma once
/// @file barrier.hpp
/// `barrier`: makes a fixed number of jobs wait for each other (asyncio.Barrier).
///
/// Each `wait()` blocks until `parties` jobs are waiting; then all of them continue, each with a
/// distinct index in [0, parties) (in arrival order), and the barrier is reusable for the next
/// round. A job cancelled while waiting leaves the round (it no longer counts). `abort()` breaks
/// the barrier: waiters and later waits raise `broken_barrier` until `reset()`; `reset()` also
/// fails the current waiters and starts an empty round.
///
/// @code
/// la::barrier all_ready{3};
/// std::size_t index = co_await all_ready.wait();   // in each of 3 jobs
/// @endcode

#include <coroutine>
#include <cstddef>
#include <mutex>

#include <libactor/detail/parking.hpp>

namespace libactor {

/// A reusable barrier for `parties` jobs; see the file comment.
class barrier {
public:
  /// Raises usage_error when `parties` is 0.
  explicit barrier(std::size_t parties);
  barrier(const barrier&) = delete;
  barrier& operator=(const barrier&) = delete;

  /// Waits until `parties` jobs wait; returns this job's arrival index.
  [[nodiscard]] detail::primitive_wait<barrier> wait() { return detail::primitive_wait<barrier>{this}; }
  /// Breaks the barrier: every waiter, and every later wait, raises broken_barrier.
  void abort();
  /// Fails the current waiters with broken_barrier and returns to an empty, unbroken round.
  void reset();
  std::size_t parties() const noexcept { return parties_; }
  /// Jobs waiting in the current round.
  std::size_t waiting() const;
  bool broken() const;

private:
  friend struct detail::primitive_wait<barrier>;
  static constexpr const char* wait_name = "barrier::wait";
  bool begin_wait(detail::waiter& w, detail::job_actor& self, std::coroutine_handle<> h);
  std::size_t end_wait(detail::waiter& w);

  const std::size_t parties_;
  mutable std::mutex mu_;
  bool broken_ = false;
  detail::waiter_list waiters_;
};

} // namespace libactor
