#pragma once
// job_actor: the CAF actor that runs one spawned job.
//
// A lean CAF actor: caf::local_actor (identity, links, registry, clock, request ids) plus
// caf::resumable (so CAF's work-stealing scheduler runs it), with its own mailbox. CAF's
// event_based_actor would cost ~1 KiB per job for behaviour stacks, stream managers and response
// maps that a coroutine does not use; this actor is about a third of that (docs/architecture.md).
//
// The job's coroutine runs only inside this actor's turns (resume()). Everything that resumes the
// job — a timer, a message, a child's end, a reply, a cancellation — arrives in the mailbox and is
// matched against the one wait the job is suspended in (its token), so a stale event can never
// resume a later wait.

#include <coroutine>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>

#include <caf/intrusive/lifo_inbox.hpp>
#include <caf/local_actor.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/resumable.hpp>

#include <libactor/detail/parking.hpp>
#include <libactor/detail/record.hpp>
#include <libactor/detail/runtime_api.hpp>

#include "callback_timers.hpp"
#include "timers.hpp"
#include "caf_messages.hpp"

namespace libactor::detail {

class runtime;
class io_thread;

class job_actor final : public caf::local_actor, public caf::resumable {
public:
  job_actor(caf::actor_config& cfg, runtime* rt, record_base* rec, std::coroutine_handle<> body);
  ~job_actor() override;

  // -- CAF actor interface -------------------------------------------------------------------
  void enqueue(caf::mailbox_element_ptr what, caf::execution_unit* eu) override;
  void launch(caf::execution_unit* eu, bool lazy, bool hide) override;
  bool cleanup(caf::error&& reason, caf::execution_unit* host) override;
  const char* name() const override { return "libactor::job"; }
  subtype_t subtype() const override { return resumable::unspecified; }
  resume_result resume(caf::execution_unit* eu, size_t max_throughput) override;
  void intrusive_ptr_add_ref_impl() override { caf::intrusive_ptr_add_ref(ctrl()); }
  void intrusive_ptr_release_impl() override;

  record_base& record() noexcept { return rec_; }
  /// Homes the job on an I/O thread: its turns run there instead of on CAF's workers. Set once,
  /// before launch.
  void set_home(io_thread* home) noexcept { home_ = home; }
  io_thread* home() const noexcept { return home_; }
  /// True when the job's next suspension point raises `cancelled`: the job, or a cancel scope that
  /// encloses the current point (up to the nearest shield), is cancelled or past its deadline.
  bool cancel_pending();
  /// The nearest deadline of the enclosing scopes (up to the nearest shield), or max().
  caf::actor_clock::time_point scope_deadline() const noexcept;
  void push_scope(scope_frame& scope);
  void pop_scope(scope_frame& scope) noexcept;
  bool scope_owns_cancellation(scope_frame& scope);
  caf::strong_actor_ptr self_ptr() { return ctrl(); }

  // -- the waits of runtime_api.hpp ------------------------------------------------------------
  void wait_yield(std::coroutine_handle<> h);
  void wait_until(std::coroutine_handle<> h, caf::actor_clock::time_point deadline);
  bool wait_child(std::coroutine_handle<> h, record_base& child);
  /// With `forward_cancel`, a cancellation reaches the children and the wait goes on until one has
  /// ended (awaiting a handle, gather); without, the wait just ends with `cancelled` (asyncio.wait).
  bool wait_children(std::coroutine_handle<> h, std::span<record_base* const> children, bool forward_cancel);
  bool take_stashed(type_filter types, received& out);
  std::size_t discard_stashed(type_filter keep);
  void wait_message(std::coroutine_handle<> h, type_filter types,
                    const caf::actor_clock::time_point* deadline, received& out);
  void wait_reply(std::coroutine_handle<> h, const actor_ref& target, std::unique_ptr<any_box> request,
                  caf::actor_clock::time_point deadline, ask_outcome& out);
  wake end_wait();
  /// Parks the job until a signal::wake with the ticket's token arrives (parking.hpp).
  void park(std::coroutine_handle<> h, wake_ticket& out);
  /// If a cancellation is pending, suspends so that end_wait() raises it; true in that case.
  bool suspend_if_cancelled(std::coroutine_handle<> h);

  // -- job-owned timers (call_later.hpp) -----------------------------------------------------
  std::uint32_t add_callback(caf::actor_clock::time_point first, caf::actor_clock::duration_type period,
                             std::function<void()> fn);
  void cancel_callback(std::uint32_t id) noexcept;
  bool callback_active(std::uint32_t id) const noexcept;

  // -- links (watch.hpp) ---------------------------------------------------------------------
  void trap_exits(bool on) noexcept { trap_exits_ = on; }
  bool traps_exits() const noexcept { return trap_exits_; }
  /// Queues a message from the runtime itself (a down, an exit_signal) in this job's mailbox,
  /// behind everything already there: the messages of the job it reports on come first.
  void post_message(std::unique_ptr<any_box> payload);
  /// Queues a link exit from `from` for this job (link() to a job that has already ended).
  void post_link_exit(record_ptr<record_base> from);

private:
  enum class wait_kind : std::uint8_t { none, yield, timer, child, message, reply, parked };

  struct inbox_policy {
    using mapped_type = caf::mailbox_element;
    using unique_pointer = caf::mailbox_element_ptr;
  };

  /// A FIFO of mailbox elements taken out of the (LIFO) inbox; urgent ones (cancel, kill) first.
  struct fifo {
    caf::mailbox_element* head = nullptr;
    caf::mailbox_element* tail = nullptr;
    void push(caf::mailbox_element* x) noexcept;
    caf::mailbox_element* pop() noexcept;
    void clear(const caf::error& reason) noexcept;  // bounces requests
  };

  /// Queues a turn: on the home I/O thread, or on the scheduler (the worker `eu`, if any).
  void schedule_turn(caf::execution_unit* eu);
  /// Moves everything from the inbox into the FIFOs; false when there was nothing.
  bool fetch_mailbox();
  caf::mailbox_element* next_message();
  void handle(caf::mailbox_element& x);
  void start();
  /// Ends a turn after which the actor waits for messages or has terminated.
  resume_result went_idle(resume_result result);
  /// Ends the actor: tears down a frame still alive (a kill), fails pending asks, closes the
  /// mailbox and tells CAF (links, monitors, registry).
  void terminate(caf::error reason);

  /// Starts a wait: the next matching event resumes `h`. Returns the wait's token.
  std::uint32_t begin_wait(std::coroutine_handle<> h, wait_kind kind);
  /// A cancelled job still suspends (so that a kill can reach a job that swallows `cancelled` in
  /// a loop), and its wait ends at once through the mailbox. Returns true in that case.
  bool defer_if_cancelled();
  void post_self(signal::kind_t kind, std::uint32_t token);
  /// Arms the wait's timer for the earlier of `deadline` and the scopes' deadline (if any).
  void schedule_timer(caf::actor_clock::time_point deadline, std::uint32_t token);
  /// The wait was interrupted by a cancellation: a child wait forwards it and keeps waiting, every
  /// other wait ends with `cancelled`.
  void interrupt_wait();
  /// Ends the current wait with `why` and runs the job until its next suspension or its end.
  void resume_job(wake why);

  void on_signal(const signal& s);
  void on_message(caf::mailbox_element& x, envelope& e);
  void on_response(caf::mailbox_element& x);
  /// Acts on the end of linked job `from`, in this job's turn: an exit_signal for a job that traps
  /// exits, otherwise a cancellation (unless it ended normally).
  void on_link_exit(record_ptr<record_base> from);
  void deliver(received r);
  static bool accepts(type_filter types, const any_box& payload) noexcept;

  caf::intrusive::lifo_inbox<inbox_policy> inbox_;
  fifo urgent_;
  fifo normal_;
  runtime& rt_;
  io_thread* home_ = nullptr;        // null: CAF's scheduler runs the turns
  record_base& rec_;                 // referenced until terminate()
  std::coroutine_handle<> body_;     // the job's root frame, until it ends
  std::coroutine_handle<> resume_point_;
  std::uint32_t token_ = 0;
  timer_service::timer_id wait_timer_;  // the current wait's timer, cancelled when the wait ends
  wait_kind kind_ = wait_kind::none;
  wake reason_ = wake::none;
  bool cancelled_ = false;           // level-triggered: stays set
  bool started_ = false;
  bool end_turn_ = false;            // yield: give the worker to other actors after this event
  bool terminated_ = false;
  bool trap_exits_ = false;
  // The current wait's details.
  type_filter filter_;
  received* message_slot_ = nullptr;
  ask_outcome* reply_slot_ = nullptr;
  std::uint64_t reply_id_ = 0;       // request id of the pending ask
  std::span<record_base* const> children_;  // of a child wait
  record_base* single_child_ = nullptr;    // storage behind children_ for one child
  bool forward_cancel_ = true;
  bool child_interrupted_ = false;         // the cancellation was forwarded to the children
  scope_frame* scopes_ = nullptr;          // innermost cancel scope
  // Messages no receive has taken yet, in arrival order. Created on first use: an empty std::deque
  // already allocates ~600 bytes, more than the rest of an idle job.
  std::unique_ptr<std::deque<received>> stash_;
  std::unique_ptr<callback_timers> callbacks_;  // created by the first call_later
  // The linked job whose failure (or kill) cancelled this one: its `cancelled` end becomes a
  // linked_failure naming it.
  record_ptr<record_base> link_cause_;
};

/// Sets the current job for a turn (and checks that turns never nest on one thread).
class turn_scope {
public:
  explicit turn_scope(job_actor* self) noexcept;
  ~turn_scope();
  turn_scope(const turn_scope&) = delete;
  turn_scope& operator=(const turn_scope&) = delete;

private:
  job_actor* previous_;
};

} // namespace libactor::detail

namespace libactor::detail {
/// Launches `body` as a new job actor, homed on `io` (null: CAF's workers).
void launch_on(runtime& rt, record_base& rec, std::coroutine_handle<> body, io_thread* io);
} // namespace libactor::detail
