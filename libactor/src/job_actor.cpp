#include "job_actor.hpp"

#include <cstdlib>

#include <caf/actor_clock.hpp>
#include <caf/error.hpp>

#include "assert.hpp"
#include "log.hpp"
#include "runtime.hpp"
#include "tsan.hpp"

namespace libactor::detail {

namespace {
thread_local job_actor* tl_current = nullptr;
#if LIBACTOR_CHECKS_ENABLED
thread_local int tl_turn_depth = 0;
#endif
} // namespace

#if LIBACTOR_CHECKS_ENABLED
void invariant_failed(const char* what, const char* file, int line) noexcept {
  log().critical("invariant violated: {} ({}:{})", what, file, line);
  log().flush();
  std::abort();
}
#endif

job_actor* current_job() noexcept { return tl_current; }

job_actor& require_job(const char* operation) {
  if (tl_current == nullptr)
    throw usage_error(std::string("libactor: ") + operation + " called outside a job");
  return *tl_current;
}

turn_scope::turn_scope(job_actor* self) noexcept : previous_(tl_current) {
  // A turn never nests inside another job's turn on the same thread.
  LIBACTOR_ASSERT(previous_ == nullptr || previous_ == self, "a job's turn started inside another job's turn");
#if LIBACTOR_CHECKS_ENABLED
  ++tl_turn_depth;
#endif
  tl_current = self;
}

turn_scope::~turn_scope() {
#if LIBACTOR_CHECKS_ENABLED
  --tl_turn_depth;
#endif
  tl_current = previous_;
}

job_actor::job_actor(caf::actor_config& cfg, runtime* rt, record_base* rec, std::coroutine_handle<> body)
  : caf::event_based_actor(cfg), rt_(*rt), rec_(*rec), body_(body) {
  rec_.retain();
  rec_.id_ = id();
  caf::strong_actor_ptr self{ctrl()};
  rec_.actor_ = actor_ref::adopt(self.release());
  rt_.add_live(rec_);
}

job_actor::~job_actor() = default;

caf::behavior job_actor::make_behavior() {
  tsan_acquire(this);
  turn_scope turn(this);
  if (rec_.cancel_requested()) {
    // Cancelled before it started: the body never runs.
    cancelled_ = true;
    rec_.set_cancelled();
    finish();
    return {};
  }
  resume_point_ = body_;
  resume(wake::event);
  if (!body_)
    return {};
  // consume() handles every libactor message itself; the behavior only keeps the actor alive.
  return {[](const envelope&) {}};
}

caf::invoke_message_result job_actor::consume(caf::mailbox_element& x) {
  tsan_acquire(this);
  turn_scope turn(this);
  current_element_ = &x;
  if (x.mid.is_response()) {
    on_response(x);
    return caf::invoke_message_result::consumed;
  }
  auto& content = x.content();
  if (content.size() == 1) {
    if (content.match_element<signal>(0)) {
      on_signal(content.get_as<signal>(0));
      return caf::invoke_message_result::consumed;
    }
    if (content.match_element<envelope>(0)) {
      on_message(x, content.get_mutable_as<envelope>(0));
      return caf::invoke_message_result::consumed;
    }
  }
  // System messages (exit, down, errors) take CAF's ordinary path.
  return caf::event_based_actor::consume(x);
}

void job_actor::on_exit() {
  turn_scope turn(this);
  if (body_) {
    // Killed (shutdown after the grace period): tear the frame down so its destructors run.
    kind_ = wait_kind::none;
    std::exchange(body_, nullptr).destroy();
    rec_.set_cancelled();
    rec_.publish();
  }
  stash_.clear();  // unanswered asks among them fail at once ("dropped without reply")
  rt_.remove_live(rec_);
  rec_.release();
}

// -- waits -------------------------------------------------------------------------------------

std::uint32_t job_actor::begin_wait(std::coroutine_handle<> h, wait_kind kind) {
  LIBACTOR_ASSERT(tl_current == this, "a job suspended outside its own turn");
  LIBACTOR_ASSERT(kind_ == wait_kind::none, "a job started a second wait while suspended");
  resume_point_ = h;
  kind_ = kind;
  reason_ = wake::none;
  return ++token_;
}

bool job_actor::defer_if_cancelled() {
  if (!cancelled_)
    return false;
  post_self(signal::wake, token_, caf::message_priority::normal);
  return true;
}

void job_actor::post_self(signal::kind_t kind, std::uint32_t token, caf::message_priority prio) {
  enqueue(caf::make_mailbox_element(nullptr, caf::make_message_id(prio), {}, signal{kind, token}), context());
}

void job_actor::schedule_timer(caf::actor_clock::time_point deadline, std::uint32_t token) {
  clock().schedule_message(deadline, caf::strong_actor_ptr{ctrl()},
                           caf::make_mailbox_element(nullptr, caf::make_message_id(), {},
                                                     signal{signal::timer, token}));
}

void job_actor::wait_yield(std::coroutine_handle<> h) {
  auto token = begin_wait(h, wait_kind::yield);
  post_self(signal::wake, token, caf::message_priority::normal);
}

void job_actor::wait_until(std::coroutine_handle<> h, caf::actor_clock::time_point deadline) {
  auto token = begin_wait(h, wait_kind::timer);
  if (!defer_if_cancelled())
    schedule_timer(deadline, token);
}

bool job_actor::wait_child(std::coroutine_handle<> h, record_base& child) {
  if (!child.add_waiter(rec_.actor(), token_ + 1))
    return false;  // it ended meanwhile: no suspension
  begin_wait(h, wait_kind::child);
  child_ = &child;
  if (cancelled_)
    child.request_cancel();  // cancelling a job reaches the child it awaits
  return true;
}

bool job_actor::accepts(type_filter types, const any_box& payload) noexcept {
  for (auto* t : types)
    if (*t == payload.type())
      return true;
  return false;
}

bool job_actor::take_stashed(type_filter types, received& out) {
  if (cancelled_)
    return false;  // suspend, then raise
  for (auto i = stash_.begin(); i != stash_.end(); ++i) {
    if (accepts(types, *i->payload)) {
      out = std::move(*i);
      stash_.erase(i);
      return true;
    }
  }
  return false;
}

void job_actor::wait_message(std::coroutine_handle<> h, type_filter types,
                             const caf::actor_clock::time_point* deadline, received& out) {
  auto token = begin_wait(h, wait_kind::message);
  filter_ = types;
  message_slot_ = &out;
  if (defer_if_cancelled())
    return;
  if (deadline != nullptr)
    schedule_timer(*deadline, token);
}

void job_actor::wait_reply(std::coroutine_handle<> h, const actor_ref& target, std::unique_ptr<any_box> request,
                           caf::actor_clock::time_point deadline, ask_outcome& out) {
  auto token = begin_wait(h, wait_kind::reply);
  reply_slot_ = &out;
  if (defer_if_cancelled())
    return;
  auto mid = new_request_id(caf::message_priority::normal);
  reply_id_ = mid.request_id().integer_value();
  auto* dest = static_cast<caf::actor_control_block*>(target.get())->get();
  tsan_release(dest);
  // A request to an actor that has ended (or ends with it unread) bounces back at once as
  // sec::request_receiver_down: ask fails promptly instead of at its timeout.
  dest->enqueue(caf::make_mailbox_element(ctrl(), mid, {}, envelope{std::move(request)}), context());
  schedule_timer(deadline, token);
}

wake job_actor::end_wait() {
  if (cancelled_)
    throw cancelled{};
  return reason_;
}

void job_actor::resume(wake why) {
  LIBACTOR_ASSERT(tl_current == this, "a job resumed outside its own actor's turn");
  reason_ = why;
  kind_ = wait_kind::none;
  child_ = nullptr;
  message_slot_ = nullptr;
  reply_slot_ = nullptr;
  std::exchange(resume_point_, nullptr).resume();
  if (body_.done())
    finish();
}

void job_actor::finish() {
  std::exchange(body_, nullptr).destroy();
  rec_.publish();
  quit();
}

// -- events ------------------------------------------------------------------------------------

void job_actor::on_signal(const signal& s) {
  switch (s.kind) {
    case signal::cancel:
      if (cancelled_)
        return;
      cancelled_ = true;
      if (kind_ == wait_kind::child)
        child_->request_cancel();  // keep waiting: the awaiter raises once the child has ended
      else if (kind_ != wait_kind::none)
        resume(wake::cancelled);
      return;
    case signal::wake:
    case signal::child_done:
      if (s.token == token_ && kind_ != wait_kind::none)
        resume(wake::event);
      return;
    case signal::timer:
      if (s.token == token_ && kind_ != wait_kind::none)
        resume(kind_ == wait_kind::timer ? wake::event : wake::timeout);
      return;
    case signal::no_reply:
      return;  // only meaningful as a response (on_response)
  }
}

void job_actor::on_message(caf::mailbox_element& x, envelope& e) {
  received r{std::move(e.payload), {}};
  if (x.mid.is_request()) {
    caf::strong_actor_ptr sender = std::move(x.sender);
    r.reply = reply_channel{actor_ref::adopt(sender.release()), x.mid.integer_value()};
  }
  if (r.payload == nullptr)
    return;
  if (kind_ == wait_kind::message && accepts(filter_, *r.payload)) {
    *message_slot_ = std::move(r);
    resume(wake::event);
  } else {
    stash_.push_back(std::move(r));
  }
}

void job_actor::on_response(caf::mailbox_element& x) {
  if (kind_ != wait_kind::reply || x.mid.request_id().integer_value() != reply_id_)
    return;  // the reply of an ask that already timed out or was cancelled
  auto& content = x.content();
  if (content.size() == 1 && content.match_element<envelope>(0)) {
    reply_slot_->reply = std::move(content.get_mutable_as<envelope>(0).payload);
  } else if (content.size() == 1 && content.match_element<signal>(0)) {
    reply_slot_->failure = "libactor: ask failed: the job dropped the request without replying";
  } else if (content.size() == 1 && content.match_element<caf::error>(0)) {
    reply_slot_->failure = "libactor: ask failed: the job is not running (it ended before replying)";
  } else {
    reply_slot_->failure = "libactor: ask failed: unexpected response";
  }
  resume(wake::event);
}

} // namespace libactor::detail
