#pragma once
/// @file call_later.hpp
/// Timers owned by a job (asyncio's loop.call_later / call_at, plus periodic timers).
///
/// The callback runs in the owning job's own actor turn — between resumptions of its coroutine,
/// never at the same time — so it may touch the job's state without locks. A job's timers stop
/// when the job ends. A callback that throws is logged and its timer stops. Callbacks are plain
/// functions: they cannot co_await (send a message to the job, or spawn, instead).
///
/// @code
/// auto t = la::call_every(1s, [&] { ++ticks; });
/// la::call_later(5s, [] { std::puts("five seconds later"); });
/// t.cancel();
/// @endcode

#include <chrono>
#include <cstdint>
#include <functional>

#include <libactor/detail/runtime_api.hpp>
#include <libactor/errors.hpp>
#include <libactor/time.hpp>

namespace libactor {

/// A timer created by call_later, call_at or call_every. Use it only inside the job that owns it.
class timer {
public:
  timer() noexcept = default;
  /// Stops the timer (a pending or future call does not happen). Idempotent.
  void cancel() const { detail::cancel_callback(owner("cancel"), id_); }
  /// True until a one-shot timer has fired, or the timer is cancelled or has stopped.
  bool active() const { return detail::callback_active(owner("active"), id_); }

private:
  friend timer call_at(clock::time_point, std::function<void()>);
  friend timer call_every(clock::duration, std::function<void()>);
  timer(detail::job_actor* owner, std::uint32_t id) noexcept : owner_(owner), id_(id) {}
  detail::job_actor& owner(const char* operation) const {
    if (owner_ == nullptr || detail::current_job() != owner_)
      throw usage_error(std::string("libactor: timer::") + operation + " outside the job that owns the timer");
    return *owner_;
  }
  detail::job_actor* owner_ = nullptr;
  std::uint32_t id_ = 0;
};

/// Calls `fn` once at `when`, in the current job's turn. Throws usage_error outside a job.
inline timer call_at(clock::time_point when, std::function<void()> fn) {
  auto& self = detail::require_job("call_at");
  return {&self, detail::add_callback(self, when, clock::duration::zero(), std::move(fn))};
}

/// Calls `fn` once after `delay`.
template <class Rep, class Period>
timer call_later(std::chrono::duration<Rep, Period> delay, std::function<void()> fn) {
  return call_at(clock::now() + std::chrono::ceil<clock::duration>(delay), std::move(fn));
}

/// Calls `fn` every `period` (first after one period), at a fixed rate; periods missed while the
/// job was busy are skipped, not run in a burst. Throws usage_error for a period that is not positive.
inline timer call_every(clock::duration period, std::function<void()> fn) {
  auto& self = detail::require_job("call_every");
  if (period <= clock::duration::zero())
    throw usage_error("libactor: call_every needs a positive period");
  return {&self, detail::add_callback(self, clock::now() + period, period, std::move(fn))};
}

} // namespace libactor
