#pragma once
/// @file condition.hpp
/// `condition`: a condition variable for jobs (asyncio.Condition, trio.Condition), bound to a
/// `lock`.
///
/// `wait()` must be called holding the lock: it releases the lock, waits for a notify, and takes
/// the lock back before returning — also when it raises (cancellation included), so the caller
/// always leaves holding the lock. `notify` requires holding the lock too. Waiters are woken in
/// the order they started waiting.
///
/// @code
/// la::lock mutex;
/// la::condition changed{mutex};
/// auto held = co_await mutex.scoped();
/// co_await changed.wait_for([&] { return !items.empty(); });
/// @endcode

#include <coroutine>
#include <cstddef>
#include <mutex>

#include <libactor/detail/parking.hpp>
#include <libactor/job.hpp>
#include <libactor/lock.hpp>

namespace libactor {

/// A condition variable over a `lock`; see the file comment.
class condition {
public:
  explicit condition(lock& l) noexcept : lock_(l) {}
  condition(const condition&) = delete;
  condition& operator=(const condition&) = delete;

  /// Releases the lock, waits for notify(), re-acquires the lock. Raises usage_error when the
  /// current job does not hold the lock.
  job<void> wait();
  /// Waits until `predicate()` is true (checked with the lock held).
  template <class Predicate>
  job<void> wait_for(Predicate predicate) {
    while (!predicate())
      co_await wait();
  }
  /// Wakes up to `n` waiters. Raises usage_error unless the current job holds the lock.
  void notify(std::size_t n = 1);
  /// Wakes every waiter. Raises usage_error unless the current job holds the lock.
  void notify_all();
  /// The lock this condition is bound to.
  lock& underlying_lock() noexcept { return lock_; }

private:
  friend struct detail::primitive_wait<condition>;
  static constexpr const char* wait_name = "condition::wait";
  bool begin_wait(detail::waiter& w, detail::job_actor& self, std::coroutine_handle<> h);
  void end_wait(detail::waiter& w);
  void require_lock(const char* operation) const;

  lock& lock_;
  std::mutex mu_;
  detail::waiter_list waiters_;
};

} // namespace libactor
