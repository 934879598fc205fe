#pragma once
// job_actor: the CAF actor that runs one spawned job.
//
// The job's coroutine runs only inside this actor's turns (make_behavior for the first step,
// consume() for every later one). Everything that resumes the job — a timer, a message, a child's
// end, a reply, a cancellation — arrives in the mailbox and is matched against the one wait the
// job is suspended in (its token), so a stale event can never resume a later wait.

#include <coroutine>
#include <cstdint>
#include <deque>

#include <caf/event_based_actor.hpp>
#include <caf/mailbox_element.hpp>

#include <libactor/detail/record.hpp>
#include <libactor/detail/runtime_api.hpp>

#include "caf_messages.hpp"

namespace libactor::detail {

class runtime;

class job_actor final : public caf::event_based_actor {
public:
  job_actor(caf::actor_config& cfg, runtime* rt, record_base* rec, std::coroutine_handle<> body);
  ~job_actor() override;

  caf::behavior make_behavior() override;
  caf::invoke_message_result consume(caf::mailbox_element& x) override;
  void on_exit() override;
  const char* name() const override { return "libactor::job"; }

  runtime& rt() noexcept { return rt_; }
  record_base& record() noexcept { return rec_; }
  bool cancel_pending() const noexcept { return cancelled_; }
  caf::strong_actor_ptr self_ptr() { return ctrl(); }

  // The waits of runtime_api.hpp.
  void wait_yield(std::coroutine_handle<> h);
  void wait_until(std::coroutine_handle<> h, caf::actor_clock::time_point deadline);
  bool wait_child(std::coroutine_handle<> h, record_base& child);
  bool take_stashed(type_filter types, received& out);
  void wait_message(std::coroutine_handle<> h, type_filter types,
                    const caf::actor_clock::time_point* deadline, received& out);
  void wait_reply(std::coroutine_handle<> h, const actor_ref& target, std::unique_ptr<any_box> request,
                  caf::actor_clock::time_point deadline, ask_outcome& out);
  wake end_wait();

private:
  enum class wait_kind : std::uint8_t { none, yield, timer, child, message, reply };

  /// Starts a wait: the next matching event resumes `h`. Returns the wait's token.
  std::uint32_t begin_wait(std::coroutine_handle<> h, wait_kind kind);
  /// A cancelled job still suspends (so that a kill can reach a job that swallows `cancelled` in
  /// a loop), and its wait ends at once through the mailbox. Returns true in that case.
  bool defer_if_cancelled();
  void post_self(signal::kind_t kind, std::uint32_t token, caf::message_priority prio);
  void schedule_timer(caf::actor_clock::time_point deadline, std::uint32_t token);
  /// Ends the current wait with `why` and runs the job until its next suspension or its end.
  void resume(wake why);
  void finish();

  void on_signal(const signal& s);
  void on_message(caf::mailbox_element& x, envelope& e);
  void on_response(caf::mailbox_element& x);
  static bool accepts(type_filter types, const any_box& payload) noexcept;

  runtime& rt_;
  record_base& rec_;                 // referenced until on_exit
  std::coroutine_handle<> body_;     // the job's root frame, until it ends
  std::coroutine_handle<> resume_point_;
  std::uint32_t token_ = 0;
  wait_kind kind_ = wait_kind::none;
  wake reason_ = wake::none;
  bool cancelled_ = false;           // level-triggered: stays set
  // The current wait's details.
  type_filter filter_;
  received* message_slot_ = nullptr;
  ask_outcome* reply_slot_ = nullptr;
  std::uint64_t reply_id_ = 0;       // response id of the pending ask
  record_base* child_ = nullptr;
  std::deque<received> stash_;       // messages no receive has taken yet, in arrival order
};

/// Sets the current job for a turn and checks the invariant: one turn of a job at a time.
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
