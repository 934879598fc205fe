#pragma once
/// @file handle.hpp
/// References to spawned jobs: `job_ref` (untyped: messaging, cancellation, identity) and
/// `handle<T>` (a job_ref whose result can be awaited, like an asyncio Task).
///
/// Handles are cheap to copy. Dropping every handle does not stop the job: it runs to its end
/// (asyncio's "task garbage-collected while pending" pitfall does not exist here).
///
/// @code
/// auto h = libactor::spawn(fetch_data("url"));
/// h.send(note{"hi"});
/// int n = co_await h.ask<int>(get_count{}, 1s);
/// std::string data = co_await h;     // rethrows the job's exception, or `cancelled`
/// @endcode

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include <libactor/detail/record.hpp>
#include <libactor/detail/runtime_api.hpp>
#include <libactor/errors.hpp>
#include <libactor/time.hpp>

namespace libactor {

namespace detail {
template <class R>
class ask_awaiter {
public:
  ask_awaiter(job_actor& self, const actor_ref& target, std::unique_ptr<any_box> request,
              clock::time_point deadline)
    : self_(self), target_(target), request_(std::move(request)), deadline_(deadline) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    wait_reply(self_, h, target_, std::move(request_), deadline_, out_);
  }
  R await_resume() {
    if (end_wait(self_) == wake::timeout)
      throw timeout_error("libactor: ask timed out waiting for a reply");
    if (out_.failure != nullptr)
      throw ask_error(out_.failure);
    if constexpr (std::is_void_v<R>) {
      return;
    } else {
      if (auto* v = box_cast<R>(out_.reply.get()))
        return std::move(*v);
      throw ask_error(std::string("libactor: ask expected a reply of type ") + typeid(R).name());
    }
  }

private:
  job_actor& self_;
  actor_ref target_;
  std::unique_ptr<any_box> request_;
  clock::time_point deadline_;
  ask_outcome out_;
};
} // namespace detail

/// An untyped reference to a job: send it messages, ask it, cancel it, read its identity.
class job_ref {
public:
  job_ref() noexcept = default;
  explicit job_ref(detail::record_ptr<detail::record_base> rec) noexcept : rec_(std::move(rec)) {}

  /// False for a default-constructed reference.
  bool valid() const noexcept { return static_cast<bool>(rec_); }
  /// True once the job has ended (returned, failed or been cancelled).
  bool done() const { return checked().done(); }
  /// Requests cancellation: the job raises `cancelled` at its next suspension point. A job cancelled
  /// before it started never runs. Idempotent, safe from any thread.
  void cancel() const { checked().request_cancel(); }
  /// The name given at spawn, or "job-<id>".
  std::string name() const { return checked().name(); }
  /// A process-unique id.
  std::uint64_t id() const { return checked().id(); }

  /// Puts `msg` into the job's mailbox (asynchronous, from a job or any thread). Messages to a job
  /// that has ended are dropped, as in Erlang.
  template <class M>
  void send(M&& msg) const {
    detail::send(checked().actor(), detail::make_box(std::forward<M>(msg)));
  }

  /// Sends `msg` and waits for the job's `reply()` of type `R`. Throws timeout_error after
  /// `timeout`, and ask_error at once if the job is not running, ends before replying or drops the
  /// request. Only inside a job.
  template <class R, class M, class Rep, class Period>
  [[nodiscard]] detail::ask_awaiter<R> ask(M&& msg, std::chrono::duration<Rep, Period> timeout) const {
    auto& self = detail::require_job("ask");
    return {self, checked().actor(), detail::make_box(std::forward<M>(msg)),
            clock::now() + std::chrono::ceil<clock::duration>(timeout)};
  }

  friend bool operator==(const job_ref& a, const job_ref& b) noexcept { return a.rec_.get() == b.rec_.get(); }

protected:
  detail::record_base& checked() const {
    if (!rec_)
      throw usage_error("libactor: use of an empty job reference");
    return *rec_;
  }
  detail::record_ptr<detail::record_base> rec_;
};

/// A spawned job whose result of type `T` can be awaited (asyncio's Task).
template <class T>
class handle : public job_ref {
public:
  handle() noexcept = default;
  explicit handle(detail::record_ptr<detail::record<T>> rec) noexcept : job_ref(std::move(rec)) {}

  /// Waits until the job ends and yields its result; rethrows its exception with its original
  /// type, or `cancelled` if it was cancelled. Every awaiter gets a copy of the result. If the
  /// awaiting job is cancelled meanwhile, the cancellation reaches this job too, and the awaiter
  /// raises `cancelled` once it has ended.
  auto operator co_await() const {
    static_assert(std::is_void_v<T> || std::is_copy_constructible_v<T>,
                  "libactor: awaiting a handle copies its result; await a job of a move-only "
                  "type inline (co_await f()) instead of spawning it");
    struct awaiter {
      detail::job_actor& self;
      detail::record<T>& rec;
      bool suspended = false;
      bool await_ready() const noexcept { return rec.done(); }
      bool await_suspend(std::coroutine_handle<> h) {
        suspended = detail::wait_child(self, h, rec);
        return suspended;
      }
      T await_resume() {
        if (suspended)
          detail::end_wait(self);
        rec.rethrow_if_failed();
        if constexpr (!std::is_void_v<T>)
          return *rec.value;
      }
    };
    return awaiter{detail::require_job("co_await handle"), static_cast<detail::record<T>&>(checked())};
  }
};

} // namespace libactor
