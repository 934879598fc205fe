#pragma once
/// @file to_thread.hpp
/// Offloading: `to_thread` runs a blocking callable on the blocking pool (asyncio.to_thread,
/// trio.to_thread.run_sync); `to_cpu_pool` runs CPU-bound work on the CPU pool
/// (loop.run_in_executor with a ProcessPoolExecutor). The awaiting job suspends; CAF's workers
/// never block on the call.
///
/// - Both return the callable's result or rethrow its exception, with its original type.
/// - The blocking pool has `runtime_config::blocking_threads` threads (default 40). Every
///   `to_thread` call first borrows a token from `default_thread_limiter()` (40 tokens, like Trio),
///   or from the limiter passed to `to_thread_limited`, and holds it until the call has returned.
/// - The CPU pool has `runtime_config::cpu_threads` threads (default: one per core), separate from
///   the workers that run jobs; its work waits in a FIFO.
/// - Cancellation: the awaiting job resumes promptly with `cancelled` (or its scope's deadline).
///   A call that has already started runs to its end on its thread and its result is discarded (a
///   thread cannot be interrupted safely); a call still waiting in the pool's queue never starts.
///   Arguments are moved into the call, so they stay alive for as long as it runs.
/// - Under virtual time, pending offloaded calls count as work: the clock does not jump past them.
///
/// @code
/// std::string text = co_await la::to_thread(read_file, path);         // blocking I/O
/// long sum = co_await la::to_cpu_pool(cpu_bound_task, 10'000'000);    // CPU-bound
/// @endcode

#include <atomic>
#include <coroutine>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

#include <libactor/capacity_limiter.hpp>
#include <libactor/detail/parking.hpp>
#include <libactor/job.hpp>

namespace libactor {

/// The limiter every `to_thread` call borrows from (40 tokens unless changed with
/// set_total_tokens). Raises usage_error when no runtime is running.
capacity_limiter& default_thread_limiter();

namespace detail {

enum class pool_kind { blocking, cpu };

/// One offloaded call, shared by the awaiting job and the pool thread (which may outlive the job).
class offload_call {
public:
  virtual ~offload_call() = default;
  /// Runs the callable and stores its outcome (called on the pool thread).
  virtual void invoke() noexcept = 0;

  wake_ticket waiter;                     // set before the call is submitted
  capacity_limiter* limiter = nullptr;    // released on the job's behalf once the call returns
  std::atomic<bool> done{false};          // the outcome is stored (release/acquire)
  std::atomic<bool> abandoned{false};     // the job stopped waiting: skip the call if not started
  std::exception_ptr refused;             // why the pool could not take the call (set before done)
};

/// Hands `call` to a pool: the pool thread runs it unless abandoned, marks it done, gives the
/// limiter token back and unparks the waiter. Never throws: a call the pool cannot take (no
/// runtime, shutting down, no thread could be started) is completed at once with that error.
void submit(pool_kind kind, std::shared_ptr<offload_call> call) noexcept;

template <class R, class Fn>
class offload_call_of final : public offload_call {
public:
  explicit offload_call_of(Fn fn) : fn_(std::move(fn)) {}
  void invoke() noexcept override {
    try {
      if constexpr (std::is_void_v<R>) {
        fn_();
        value_.emplace();
      } else {
        value_.emplace(fn_());
      }
    } catch (...) {
      error_ = std::current_exception();
    }
  }
  R take() {
    // The job takes the exception over: the pool thread, which may drop the call last, must not
    // be the one to free an exception object the job is still reading.
    if (refused)
      std::rethrow_exception(std::exchange(refused, nullptr));
    if (error_)
      std::rethrow_exception(std::exchange(error_, nullptr));
    if constexpr (!std::is_void_v<R>)
      return std::move(value_->value);
  }

private:
  struct holder {
    R value;
  };
  Fn fn_;
  std::optional<std::conditional_t<std::is_void_v<R>, std::monostate, holder>> value_;
  std::exception_ptr error_;
};

template <class R, class Fn>
struct offload_awaiter {
  // A constructor, not an aggregate: see detail::primitive_wait.
  offload_awaiter(pool_kind k, std::shared_ptr<offload_call_of<R, Fn>> c) noexcept : kind(k), call(std::move(c)) {}
  pool_kind kind;
  std::shared_ptr<offload_call_of<R, Fn>> call;
  bool deferred = false;

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    auto& self = require_job("to_thread");
    if (suspend_if_cancelled(self, h)) {
      deferred = true;
      return;
    }
    park(self, h, call->waiter);
    submit(kind, call);
  }
  R await_resume() {
    if (!deferred && call->done.load(std::memory_order_acquire))
      return call->take();  // finished (even if a cancellation arrived meanwhile): keep the result
    call->abandoned.store(true, std::memory_order_release);
    if (deferred && call->limiter != nullptr)
      call->limiter->release_on_behalf_of(call.get());  // never submitted
    end_wait(require_job("to_thread"));
    throw cancelled{};  // not reached: an unfinished call resumes only through a cancellation
  }
};

template <class R, class Fn>
job<R> offload(pool_kind kind, capacity_limiter* limiter, Fn fn) {
  auto call = std::make_shared<offload_call_of<R, Fn>>(std::move(fn));
  if (limiter != nullptr) {
    co_await limiter->acquire_on_behalf_of(call.get());
    call->limiter = limiter;
  }
  co_return co_await offload_awaiter<R, Fn>{kind, std::move(call)};
}

template <class F, class... Args>
auto bind_call(F&& f, Args&&... args) {
  return [f = std::forward<F>(f), args = std::make_tuple(std::forward<Args>(args)...)]() mutable -> decltype(auto) {
    return std::apply(f, std::move(args));
  };
}

template <class F, class... Args>
using call_result_t = std::invoke_result_t<std::decay_t<F>&, std::decay_t<Args>&&...>;

} // namespace detail

/// Runs `f(args...)` on the blocking pool, borrowing a token of default_thread_limiter(); see the
/// file comment. `f` and `args` are moved (or copied) into the call.
template <class F, class... Args>
job<detail::call_result_t<F, Args...>> to_thread(F&& f, Args&&... args) {
  return detail::offload<detail::call_result_t<F, Args...>>(
    detail::pool_kind::blocking, &default_thread_limiter(),
    detail::bind_call(std::forward<F>(f), std::forward<Args>(args)...));
}

/// Like to_thread, borrowing from `limiter` instead of the default limiter.
template <class F, class... Args>
job<detail::call_result_t<F, Args...>> to_thread_limited(capacity_limiter& limiter, F&& f, Args&&... args) {
  return detail::offload<detail::call_result_t<F, Args...>>(
    detail::pool_kind::blocking, &limiter, detail::bind_call(std::forward<F>(f), std::forward<Args>(args)...));
}

/// Runs the CPU-bound `f(args...)` on the CPU pool; see the file comment.
template <class F, class... Args>
job<detail::call_result_t<F, Args...>> to_cpu_pool(F&& f, Args&&... args) {
  return detail::offload<detail::call_result_t<F, Args...>>(
    detail::pool_kind::cpu, nullptr, detail::bind_call(std::forward<F>(f), std::forward<Args>(args)...));
}

} // namespace libactor
