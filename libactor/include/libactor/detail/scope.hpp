#pragma once
// scope_guard: opens a cancel scope on the current job for the lifetime of the guard (which lives in
// the frame of the coroutine that implements a scoped operation), and closes it on every path.

#include <chrono>
#include <concepts>
#include <type_traits>
#include <utility>

#include <libactor/detail/runtime_api.hpp>
#include <libactor/job.hpp>

namespace libactor::detail {

class scope_guard {
public:
  scope_guard(const char* operation, std::chrono::steady_clock::time_point deadline, bool shield)
    : self_(require_job(operation)) {
    frame_.deadline = deadline;
    frame_.shield = shield;
    push_scope(self_, frame_);
  }
  ~scope_guard() { pop_scope(self_, frame_); }
  scope_guard(const scope_guard&) = delete;
  scope_guard& operator=(const scope_guard&) = delete;

  /// True when a `cancelled` escaping the scope's body was caused by this scope alone.
  bool owns_cancellation() { return scope_owns_cancellation(self_, frame_); }

private:
  job_actor& self_;
  scope_frame frame_;
};

/// The awaiter of `A`: its member operator co_await, or `A` itself.
template <class A>
decltype(auto) get_awaiter(A&& a) {
  if constexpr (requires { std::forward<A>(a).operator co_await(); })
    return std::forward<A>(a).operator co_await();
  else
    return std::forward<A>(a);
}

/// The result type of awaiting `A`.
template <class A>
using await_result_t = decltype(get_awaiter(std::declval<A>()).await_resume());

/// Turns an awaitable (a job, a handle, ...) into a job, so that scopes can wrap any of them.
template <class T, class A>
job<T> as_job(A awaitable) {
  if constexpr (std::is_void_v<T>)
    co_await std::move(awaitable);
  else
    co_return co_await std::move(awaitable);
}

template <class A>
auto to_job(A&& awaitable) {
  using D = std::decay_t<A>;
  if constexpr (requires { typename D::promise_type; })
    return std::forward<A>(awaitable);  // already a job
  else
    return as_job<std::decay_t<await_result_t<D&&>>>(D(std::forward<A>(awaitable)));
}

} // namespace libactor::detail
