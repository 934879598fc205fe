#pragma once
/// @file deadline.hpp
/// Deadline scopes and timeouts (Trio's move_on_after / fail_after, asyncio's wait_for).
///
/// A deadline applies to every suspension point inside the scope — sleep, receive, ask, awaiting a
/// child — including those of jobs awaited inline. When it passes, the scope is cancelled: the work
/// inside raises `cancelled` at its suspension points (level-triggered), cleanup runs, a child being
/// awaited is cancelled and awaited to its end, and then the scope ends. Scopes nest; the nearest
/// deadline wins. A cancellation from outside the scope is never swallowed by it.
///
/// @code
/// auto page = co_await la::move_on_after(2s, fetch(url));      // std::optional<std::string>
/// auto data = co_await la::wait_for(fetch(url), 2s);            // or throws la::timeout_error
/// @endcode

#include <chrono>
#include <optional>
#include <type_traits>

#include <libactor/detail/scope.hpp>
#include <libactor/errors.hpp>
#include <libactor/job.hpp>
#include <libactor/time.hpp>

namespace libactor {

/// What move_on_* yields: `std::optional<T>` (empty when the deadline passed), or for `job<void>`,
/// `bool` (false when the deadline passed).
template <class T>
using move_on_result = std::conditional_t<std::is_void_v<T>, bool, std::optional<T>>;

namespace detail {
template <class T>
job<move_on_result<T>> move_on_at(clock::time_point deadline, job<T> body) {
  detail::scope_guard scope{"move_on_at", deadline, false};
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(body);
      co_return true;
    } else {
      co_return co_await std::move(body);
    }
  } catch (const cancelled&) {
    if (!scope.owns_cancellation())
      throw;
  }
  co_return move_on_result<T>{};
}

template <class T>
job<T> fail_at(clock::time_point deadline, job<T> body) {
  if (deadline == clock::time_point::max()) {
    // No deadline, so nothing the scope could own: skip it (the HTTP client's reads pass this).
    if constexpr (std::is_void_v<T>) {
      co_await std::move(body);
      co_return;
    } else {
      co_return co_await std::move(body);
    }
  }
  detail::scope_guard scope{"fail_at", deadline, false};
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(body);
      co_return;
    } else {
      co_return co_await std::move(body);
    }
  } catch (const cancelled&) {
    if (!scope.owns_cancellation())
      throw;
  }
  throw timeout_error("libactor: deadline exceeded");
}
} // namespace detail

/// Awaits `body` — a job (run inline), a handle, or any awaitable such as sleep or receive — and
/// if `deadline` passes first, cancels it and yields an empty result (see move_on_result).
template <class A>
auto move_on_at(clock::time_point deadline, A&& body) {
  return detail::move_on_at(deadline, detail::to_job(std::forward<A>(body)));
}

/// move_on_at(now + `timeout`, `body`).
template <class A, class Rep, class Period>
auto move_on_after(std::chrono::duration<Rep, Period> timeout, A&& body) {
  return move_on_at(clock::now() + std::chrono::ceil<clock::duration>(timeout), std::forward<A>(body));
}

/// Awaits `body` (as for move_on_at); if `deadline` passes first, cancels it, waits for it to
/// end, and throws timeout_error. A value that `body` produced before the deadline is returned.
template <class A>
auto fail_at(clock::time_point deadline, A&& body) {
  return detail::fail_at(deadline, detail::to_job(std::forward<A>(body)));
}

/// fail_at(now + `timeout`, `body`).
template <class A, class Rep, class Period>
auto fail_after(std::chrono::duration<Rep, Period> timeout, A&& body) {
  return fail_at(clock::now() + std::chrono::ceil<clock::duration>(timeout), std::forward<A>(body));
}

/// asyncio's wait_for: awaits `awaitable` (a job, or a handle of a spawned job) for at most
/// `timeout`. On timeout the work is cancelled and has ended by the time timeout_error is thrown.
template <class A, class Rep, class Period>
auto wait_for(A&& awaitable, std::chrono::duration<Rep, Period> timeout) {
  return fail_after(timeout, std::forward<A>(awaitable));
}

/// The nearest deadline that applies at this point of the current job (`time_point::max()` if
/// none). Throws usage_error outside a job.
inline clock::time_point current_deadline() { return detail::current_deadline(detail::require_job("current_deadline")); }

} // namespace libactor
