#pragma once
/// @file semaphore.hpp
/// `semaphore` and `bounded_semaphore` (asyncio.Semaphore, asyncio.BoundedSemaphore): a counter of
/// permits that limits how many jobs do something at once.
///
/// - Fair: a released permit goes straight to the job that has waited longest; a newcomer never
///   overtakes a waiter.
/// - Cancellation-safe: a job cancelled while waiting never keeps a permit — if one was handed to
///   it at that moment, it passes it on and raises `cancelled`.
/// - `bounded_semaphore` raises usage_error when released more often than acquired (its value
///   would exceed the initial one).
///
/// @code
/// la::semaphore limit{10};
/// auto permit = co_await limit.scoped();   // at most 10 jobs past this point at once
/// @endcode

#include <coroutine>
#include <cstddef>
#include <limits>
#include <mutex>

#include <libactor/detail/parking.hpp>
#include <libactor/release_guard.hpp>

namespace libactor {

/// A counting semaphore for jobs; see the file comment.
class semaphore {
public:
  /// Starts with `initial` permits.
  explicit semaphore(std::size_t initial) : semaphore(initial, std::numeric_limits<std::size_t>::max()) {}
  semaphore(const semaphore&) = delete;
  semaphore& operator=(const semaphore&) = delete;

  /// Waits for a permit and takes it. Pair with release(), or use scoped().
  [[nodiscard]] detail::primitive_wait<semaphore> acquire() { return detail::primitive_wait<semaphore>{this}; }
  /// Like acquire(), returning a guard that releases the permit when it goes out of scope.
  [[nodiscard]] detail::scoped_wait<semaphore> scoped() { return detail::scoped_wait<semaphore>{this}; }
  /// Takes a permit if one is free and nobody waits; never suspends.
  bool try_acquire();
  /// Returns a permit (to the longest waiter, if any). Callable from any thread.
  void release();
  /// Free permits now.
  std::size_t value() const;
  /// Jobs waiting for a permit now.
  std::size_t waiting() const;
  /// True when acquire() would wait.
  bool locked() const;

protected:
  semaphore(std::size_t initial, std::size_t bound) : value_(initial), bound_(bound) {}

private:
  friend struct detail::primitive_wait<semaphore>;
  static constexpr const char* wait_name = "semaphore::acquire";
  bool begin_wait(detail::waiter& w, detail::job_actor& self, std::coroutine_handle<> h);
  void end_wait(detail::waiter& w);

  mutable std::mutex mu_;
  std::size_t value_;
  std::size_t bound_;
  detail::waiter_list waiters_;
};

/// A semaphore whose value may never exceed its initial value: a release without a matching
/// acquire raises usage_error instead of silently raising the limit.
class bounded_semaphore : public semaphore {
public:
  explicit bounded_semaphore(std::size_t initial) : semaphore(initial, initial) {}
};

} // namespace libactor
