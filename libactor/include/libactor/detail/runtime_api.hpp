#pragma once
// The narrow, CAF-free interface between the coroutine types in public headers and the runtime in
// libactor/src. Every awaitable in libactor suspends through one of the wait_* functions: the job's
// actor stores the coroutine handle and resumes it later *in the job's own turn*, never on a
// foreign thread. end_wait() is each awaitable's first step on resumption: it raises `cancelled`.

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <typeinfo>

#include <libactor/detail/actor_ref.hpp>
#include <libactor/detail/box.hpp>

namespace libactor {
class clock;
}

namespace libactor::detail {

class job_actor;
class record_base;

/// The job whose turn is running on this thread, or nullptr (out of line: a coroutine may resume
/// on another thread, so no thread-local address may be cached across a suspension).
job_actor* current_job() noexcept;
/// current_job(), or usage_error naming `operation` when called outside a job.
job_actor& require_job(const char* operation);

/// Why a wait ended.
enum class wake : std::uint8_t { none, event, timeout, cancelled };

/// What the job receives: the payload and, for an `ask`, where the reply goes.
class reply_channel {
public:
  reply_channel() noexcept = default;
  reply_channel(actor_ref to, std::uint64_t request_id) noexcept
    : to_(std::move(to)), request_id_(request_id) {}
  reply_channel(reply_channel&&) noexcept = default;
  reply_channel& operator=(reply_channel&& other) noexcept;
  /// An unanswered request is answered with "dropped without reply" so the asker fails at once.
  ~reply_channel();
  bool pending() const noexcept { return static_cast<bool>(to_); }
  void deliver(std::unique_ptr<any_box> reply);

private:
  actor_ref to_;
  std::uint64_t request_id_ = 0;
};

struct received {
  std::unique_ptr<any_box> payload;
  reply_channel reply;
};

using type_filter = std::span<const std::type_info* const>;

// -- suspension ------------------------------------------------------------------------------
void wait_yield(job_actor& self, std::coroutine_handle<> h);
void wait_until(job_actor& self, std::coroutine_handle<> h, std::chrono::steady_clock::time_point deadline);
/// Returns false when the child has already ended (resume at once, no wait).
bool wait_child(job_actor& self, std::coroutine_handle<> h, record_base& child);
/// Takes a stashed message of one of `types`; false when none or a cancellation is pending.
bool take_stashed(job_actor& self, type_filter types, received& out);
/// Drops the stashed messages of every type but `keep` (a job that serves a fixed protocol, such
/// as a supervisor, would otherwise keep foreign messages forever). Returns how many.
std::size_t discard_stashed(job_actor& self, type_filter keep);
void wait_message(job_actor& self, std::coroutine_handle<> h, type_filter types,
                  const std::chrono::steady_clock::time_point* deadline, received& out);
/// Sends `request` to `target` as an ask and waits for the reply (or failure) into `out`.
struct ask_outcome {
  std::unique_ptr<any_box> reply;
  const char* failure = nullptr;  // why no reply came, or nullptr
};
void wait_reply(job_actor& self, std::coroutine_handle<> h, const actor_ref& target,
                std::unique_ptr<any_box> request, std::chrono::steady_clock::time_point deadline,
                ask_outcome& out);
/// Like wait_child for several children: resumes when the first of them ends. Returns false (no
/// suspension) when one has already ended. With `forward_cancel`, cancelling the waiting job
/// cancels the children and the wait lasts until one has ended; without, the wait just raises.
bool wait_any_child(job_actor& self, std::coroutine_handle<> h, std::span<record_base* const> children,
                    bool forward_cancel = true);
/// First step of every awaitable after resumption: raises `cancelled` if the wait was interrupted by
/// a cancellation, or began while one was pending. A wait that completed returns normally (its
/// result is never lost); the job's next suspension point raises then.
wake end_wait(job_actor& self);

// -- job-owned timers ------------------------------------------------------------------------
std::uint32_t add_callback(job_actor& self, std::chrono::steady_clock::time_point first,
                           std::chrono::steady_clock::duration period, std::function<void()> fn);
void cancel_callback(job_actor& self, std::uint32_t id) noexcept;
bool callback_active(job_actor& self, std::uint32_t id) noexcept;

// -- cancel scopes ---------------------------------------------------------------------------
/// One cancel scope of a job (Trio's CancelScope). It lives in the frame of the coroutine that
/// opened it; the job keeps a stack of them. A scope is cancelled by cancel() or when its deadline
/// passes; a shield scope keeps cancellations of enclosing scopes (and of the job) out.
struct scope_frame {
  scope_frame* parent = nullptr;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  bool shield = false;
  bool cancel_called = false;
};
void push_scope(job_actor& self, scope_frame& scope);
void pop_scope(job_actor& self, scope_frame& scope) noexcept;
/// True when `scope` itself is cancelled and nothing outside it is: a `cancelled` raised inside
/// it then belongs to it (move_on_* swallows it, fail_* turns it into timeout_error).
bool scope_owns_cancellation(job_actor& self, scope_frame& scope);
/// The nearest deadline that applies to the job's suspension points now (max() if none).
std::chrono::steady_clock::time_point current_deadline(job_actor& self);

// -- messaging from anywhere -----------------------------------------------------------------
/// Sends `msg` to the job behind `to` (from a job or from any other thread).
void send(const actor_ref& to, std::unique_ptr<any_box> msg);


} // namespace libactor::detail
