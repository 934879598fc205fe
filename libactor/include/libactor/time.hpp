#pragma once
/// @file time.hpp
/// Time in jobs: `sleep`, `sleep_until`, `yield` (asyncio.sleep, asyncio.sleep(0)).
///
/// Each is a suspension point: a cancelled job raises `cancelled` there. Timers fire as messages in
/// the sleeping job's own mailbox, so the job resumes in its own actor's turn.
///
/// @code
/// co_await libactor::sleep(250ms);
/// co_await libactor::yield();   // let other jobs run
/// @endcode

#include <chrono>
#include <cstddef>
#include <coroutine>

#include <libactor/detail/runtime_api.hpp>

namespace libactor {

/// The clock of libactor's timers (monotonic).
class clock {
public:
  using duration = std::chrono::steady_clock::duration;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::steady_clock::time_point;
  static constexpr bool is_steady = true;
  /// The current time of the running runtime's clock (virtual under runtime_config::virtual_time);
  /// the steady clock when no runtime runs.
  static time_point now() noexcept;
};

namespace detail {
class sleep_awaiter {
public:
  sleep_awaiter(job_actor& self, clock::time_point deadline) noexcept : self_(self), deadline_(deadline) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) { wait_until(self_, h, deadline_); }
  void await_resume() { end_wait(self_); }

private:
  job_actor& self_;
  clock::time_point deadline_;
};

class yield_awaiter {
public:
  explicit yield_awaiter(job_actor& self) noexcept : self_(self) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) { wait_yield(self_, h); }
  void await_resume() { end_wait(self_); }

private:
  job_actor& self_;
};
} // namespace detail

/// Suspends the current job until `deadline`. Throws usage_error outside a job.
[[nodiscard]] inline detail::sleep_awaiter sleep_until(clock::time_point deadline) {
  return {detail::require_job("sleep_until"), deadline};
}

/// Suspends the current job for `d` (at least; never less). `sleep(0s)` is a `yield()`.
template <class Rep, class Period>
[[nodiscard]] detail::sleep_awaiter sleep(std::chrono::duration<Rep, Period> d) {
  auto& self = detail::require_job("sleep");
  return {self, clock::now() + std::chrono::ceil<clock::duration>(d)};
}

/// Timers of the running runtime that have neither fired nor been cancelled (0 without a runtime).
/// A probe for tests: a wait that ended early (a receive answered before its timeout, a read that got
/// data) leaves none behind.
std::size_t pending_timers() noexcept;

/// Lets every other ready job run before this one continues (asyncio's `sleep(0)`).
[[nodiscard]] inline detail::yield_awaiter yield() { return detail::yield_awaiter{detail::require_job("yield")}; }

} // namespace libactor
