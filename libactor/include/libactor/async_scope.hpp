#pragma once
/// @file async_scope.hpp
/// Python's `async with`: async context managers, `with` and `finally`.
///
/// An async context manager acquires a resource in `enter()` and releases it in `exit(error)`; both
/// may suspend. `la::with` runs a body between them and guarantees that `exit` runs on every path:
/// success, exception and cancellation. `exit` runs under `shield`, so its own `co_await`s complete
/// even when the job is being cancelled (in asyncio a cancelled task's `__aexit__` is interrupted at
/// its first `await`). `la::finally` is the same guarantee for a plain cleanup job.
///
/// @code
/// struct connection {                                   // an async_context_manager
///   la::job_ref server;
///   la::job<session> enter() { co_return co_await server.ask<session>(open{}, 1s); }
///   la::job<void> exit(std::exception_ptr) { co_await server.ask<bool>(close{}, 1s); }
/// };
/// connection c{server};
/// int n = co_await la::with(c, [](session& s) -> la::job<int> { co_return co_await count(s); });
/// co_await la::finally(work(), flush_log());            // flush_log() runs, shielded, whatever happens
/// @endcode

#include <concepts>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include <libactor/job.hpp>
#include <libactor/shield.hpp>

namespace libactor {

namespace detail {
template <class J>
concept a_job = requires { typename J::value_type; } && std::same_as<J, job<typename J::value_type>>;
} // namespace detail

/// A type whose `enter()` yields the resource (`job<R>`, R may be void) and whose
/// `exit(error)` releases it (`job<void>`). `error` is null after a successful body; otherwise it
/// holds the body's exception, or a `cancelled` when the body was cancelled. `exit` may suspend and
/// may throw; its exception then replaces the body's (as in Python). `exit` cannot swallow the
/// body's exception: catch it inside the body for that.
template <class M>
concept async_context_manager = requires(M& manager, std::exception_ptr error) {
  { manager.enter() } -> detail::a_job;
  { manager.exit(error) } -> std::same_as<job<void>>;
};

/// The resource type `R` that `M::enter()` yields.
template <async_context_manager M>
using enter_result_t = typename decltype(std::declval<M&>().enter())::value_type;

namespace detail {

// A body for resource R: a callable taking R& (nothing when R is void) and returning a job.
template <class Body, class R>
concept with_body = (std::is_void_v<R> && requires(Body& body) {
  { body() } -> a_job;
}) || (!std::is_void_v<R> && requires(Body& body, std::add_lvalue_reference_t<R> resource) {
  { body(resource) } -> a_job;
});

template <class Body, class R>
struct body_job {
  using type = std::invoke_result_t<Body&, R&>;
};
template <class Body>
struct body_job<Body, void> {
  using type = std::invoke_result_t<Body&>;
};
template <class Body, class R>
using body_value_t = typename body_job<Body, R>::type::value_type;

// The one place that implements "cleanup on every path": runs start()'s job, then cleanup(error)'s
// job shielded, then rethrows the body's exception or returns its value. start() is called inside
// the try, so a body that throws before making its job is handled like one that throws later.
template <class T, class Start, class Cleanup>
job<T> run_then(Start start, Cleanup cleanup) {
  std::exception_ptr error;
  std::optional<std::conditional_t<std::is_void_v<T>, std::monostate, T>> value;
  try {
    if constexpr (std::is_void_v<T>)
      co_await start();
    else
      value.emplace(co_await start());
  } catch (...) {  // also `cancelled`: it is kept in `error` and rethrown below
    error = std::current_exception();
  }
  co_await shield(cleanup(error));  // an exception from the cleanup replaces the body's
  if (error)
    std::rethrow_exception(error);
  if constexpr (!std::is_void_v<T>)
    co_return std::move(*value);
}

// Stored is M& (the caller keeps the manager) or M (the manager lives in this frame). The lambdas
// capture only references to this frame, which outlives the inline run_then.
template <class T, class Stored, class Body>
job<T> run_with(Stored manager, Body body) {
  using R = enter_result_t<std::remove_reference_t<Stored>>;
  auto exit = [&manager](std::exception_ptr error) { return manager.exit(std::move(error)); };
  if constexpr (std::is_void_v<R>) {
    co_await manager.enter();  // if it throws, neither body nor exit runs
    auto start = [&body] { return body(); };
    if constexpr (std::is_void_v<T>)
      co_await run_then<T>(start, exit);
    else
      co_return co_await run_then<T>(start, exit);
  } else {
    R resource = co_await manager.enter();
    auto start = [&body, &resource] { return body(resource); };
    if constexpr (std::is_void_v<T>)
      co_await run_then<T>(start, exit);
    else
      co_return co_await run_then<T>(start, exit);
  }
}

} // namespace detail

/// `async with manager as resource: body(resource)`. Awaits `manager.enter()`, then
/// `body(resource)` (`body()` when the resource is void), then always `manager.exit(error)` under
/// `shield`; then rethrows the body's exception or `cancelled` unchanged, or yields the body's
/// value. If `enter` throws, neither the body nor `exit` runs. The manager must outlive the
/// returned job. `body` is copied into the job: pass a non-capturing coroutine lambda, a function,
/// or — if it captures — a *named* lambda (g++ 12 pitfall 4, docs/coding-style.md).
template <async_context_manager M, class Body>
  requires detail::with_body<Body, enter_result_t<M>>
job<detail::body_value_t<Body, enter_result_t<M>>> with(M& manager, Body body) {
  using T = detail::body_value_t<Body, enter_result_t<M>>;
  return detail::run_with<T, M&>(manager, std::move(body));
}

/// As above, for a temporary manager (`la::with(async_file(path), body)`): it is moved into the
/// returned job and lives until `exit` has finished. Inside a `co_await` expression, do not pass a
/// brace-initialized *aggregate* temporary (`with(file{...}, body)`): g++ 12 relocates it bitwise
/// (pitfall 2 in docs/coding-style.md) and frees what it owns twice. Give the type a constructor,
/// or `std::move` a named manager.
template <async_context_manager M, class Body>
  requires(!std::is_lvalue_reference_v<M>) && detail::with_body<Body, enter_result_t<M>>
job<detail::body_value_t<Body, enter_result_t<M>>> with(M&& manager, Body body) {
  using T = detail::body_value_t<Body, enter_result_t<M>>;
  return detail::run_with<T, M>(std::move(manager), std::move(body));
}

/// `try: await body finally: await cleanup`, with the cleanup shielded: runs `body` inline, then
/// `cleanup` on every path (success, exception, cancellation), then rethrows the body's exception
/// or yields its value. An exception from `cleanup` replaces the body's.
template <class T>
job<T> finally(job<T> body, job<void> cleanup) {
  auto start = [&body] { return std::move(body); };
  auto run_cleanup = [&cleanup](const std::exception_ptr&) { return std::move(cleanup); };
  if constexpr (std::is_void_v<T>)
    co_await detail::run_then<T>(start, run_cleanup);
  else
    co_return co_await detail::run_then<T>(start, run_cleanup);
}

} // namespace libactor
