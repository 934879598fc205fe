#pragma once
/// @file lock.hpp
/// `lock`: mutual exclusion between jobs (asyncio.Lock, trio.Lock) that suspends the job instead
/// of blocking its worker thread.
///
/// - Fair: the lock passes straight to the job that has waited longest.
/// - Owned: only the holder may release it. Acquiring it again in the job that holds it raises
///   usage_error (it would otherwise wait forever); releasing it elsewhere raises usage_error.
/// - Cancellation-safe: a job cancelled while waiting never ends up holding the lock — if the lock
///   was handed to it at that moment, it passes it on and raises `cancelled`.
///
/// @code
/// la::lock mutex;
/// {
///   auto held = co_await mutex.scoped();   // `async with mutex:`
///   co_await update_shared_state();
/// }                                        // released here, also on exceptions and cancellation
/// @endcode

#include <coroutine>
#include <mutex>

#include <libactor/detail/parking.hpp>
#include <libactor/release_guard.hpp>

namespace libactor {

/// A fair, owned, non-recursive lock for jobs; see the file comment.
class lock {
public:
  lock() = default;
  lock(const lock&) = delete;
  lock& operator=(const lock&) = delete;

  /// Waits until the lock is free, then holds it. Pair with release(), or use scoped().
  [[nodiscard]] detail::primitive_wait<lock> acquire() { return detail::primitive_wait<lock>{this}; }
  /// Like acquire(), returning a guard that releases the lock when it goes out of scope.
  [[nodiscard]] detail::scoped_wait<lock> scoped() { return detail::scoped_wait<lock>{this}; }
  /// Takes the lock if it is free and nobody waits for it; never suspends.
  bool try_acquire();
  /// Releases the lock (handing it to the longest waiter). Raises usage_error unless the current
  /// job holds it.
  void release();
  /// True while some job holds the lock.
  bool locked() const;
  /// True when the current job holds the lock.
  bool held_by_current_job() const;

private:
  friend struct detail::primitive_wait<lock>;
  static constexpr const char* wait_name = "lock::acquire";
  bool begin_wait(detail::waiter& w, detail::job_actor& self, std::coroutine_handle<> h);
  void end_wait(detail::waiter& w);

  mutable std::mutex mu_;
  const void* owner_ = nullptr;
  detail::waiter_list waiters_;
};

} // namespace libactor
