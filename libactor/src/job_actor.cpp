#include "job_actor.hpp"

#include <cstdlib>

#include <caf/actor_clock.hpp>
#include <caf/actor_system.hpp>
#include <caf/detail/sync_request_bouncer.hpp>
#include <caf/error.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>
#include <caf/system_messages.hpp>

#include <libactor/watch.hpp>

#include "assert.hpp"
#include "io_threads.hpp"
#include "log.hpp"
#include "runtime.hpp"
#include "timers.hpp"
#include "tsan.hpp"

namespace libactor::detail {

namespace {
thread_local job_actor* tl_current = nullptr;
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
  tl_current = self;
}

turn_scope::~turn_scope() { tl_current = previous_; }

job_actor::job_actor(caf::actor_config& cfg, runtime* rt, record_base* rec, std::coroutine_handle<> body)
  : caf::local_actor(cfg), rt_(*rt), rec_(*rec), body_(body) {
  rec_.retain();
  rec_.id_ = id();
  caf::strong_actor_ptr self{ctrl()};
  rec_.actor_ = actor_ref::adopt(self.release());
  rt_.add_live(rec_);
}

void job_actor::intrusive_ptr_release_impl() {
  tsan_release(ctrl());  // the scheduler's last turn happens before the actor is destroyed
  caf::intrusive_ptr_release(ctrl());
}

job_actor::~job_actor() {
  tsan_acquire(ctrl());
  // Only reached after terminate() (run() reaps every job), except when a runtime is abandoned.
  urgent_.clear(caf::exit_reason::unreachable);
  normal_.clear(caf::exit_reason::unreachable);
}

// -- mailbox -----------------------------------------------------------------------------------

void job_actor::fifo::push(caf::mailbox_element* x) noexcept {
  x->next = nullptr;
  if (tail != nullptr)
    tail->next = x;
  else
    head = x;
  tail = x;
}

caf::mailbox_element* job_actor::fifo::pop() noexcept {
  auto* x = head;
  if (x != nullptr) {
    head = static_cast<caf::mailbox_element*>(x->next);
    if (head == nullptr)
      tail = nullptr;
  }
  return x;
}

void job_actor::fifo::clear(const caf::error& reason) noexcept {
  if (head == nullptr)
    return;
  caf::detail::sync_request_bouncer bounce{reason};
  while (auto* x = pop()) {
    caf::mailbox_element_ptr owned{x};
    bounce(*owned);
  }
}

void job_actor::enqueue(caf::mailbox_element_ptr what, caf::execution_unit* eu) {
  auto mid = what->mid;
  caf::strong_actor_ptr sender = mid.is_request() ? what->sender : nullptr;
  switch (inbox_.push_front(what.release())) {
    case caf::intrusive::inbox_result::unblocked_reader:
      // The scheduler holds a reference while the actor waits to run.
      caf::intrusive_ptr_add_ref(ctrl());
      if (rt_.timers().is_virtual())
        rt_.timers().busy_inc();
      // The previous turn (seen through the inbox's atomics) and this send happen before the next
      // turn, which CAF's uninstrumented scheduler starts.
      tsan_release(ctrl());
      schedule_turn(eu);
      break;
    case caf::intrusive::inbox_result::queue_closed:
      // A request to a job that has ended bounces at once: the asker fails without waiting.
      if (mid.is_request())
        caf::detail::sync_request_bouncer{caf::exit_reason::normal}(sender, mid);
      break;
    case caf::intrusive::inbox_result::success:
      break;
  }
  tsan_release(ctrl());  // this sender's accesses happen before the actor's destruction
}

void job_actor::launch(caf::execution_unit* eu, bool, bool) {
  tsan_release(ctrl());  // the construction happens before the first turn
  // Not registered in CAF's count of running actors: run() reaps every job itself before the
  // actor system goes, and one shared counter would cost two contended atomics per job.
  if (rt_.timers().is_virtual())
    rt_.timers().busy_inc();
  caf::intrusive_ptr_add_ref(ctrl());
  schedule_turn(eu);
}

void job_actor::schedule_turn(caf::execution_unit* eu) {
  if (home_ != nullptr)
    home_->schedule(this);  // like CAF's brokers: whoever wakes the job, its turn runs at home
  else if (eu != nullptr)
    eu->exec_later(this);
  else
    home_system().scheduler().enqueue(this);
}

caf::resumable::resume_result job_actor::went_idle(resume_result result) {
  if (rt_.timers().is_virtual())
    rt_.timers().busy_dec();  // the last busy job going idle lets virtual time jump
  return result;
}

bool job_actor::cleanup(caf::error&& reason, caf::execution_unit* host) {
  // local_actor::cleanup would also post a command to CAF's clock thread to cancel CAF receive and
  // request timeouts — which jobs never register — costing an allocation and a wake-up per job.
  return caf::monitorable_actor::cleanup(std::move(reason), host);
}

bool job_actor::fetch_mailbox() {
  // The inbox is a LIFO stack: reverse it, and put urgent elements (cancel, kill) first.
  caf::mailbox_element* reversed = nullptr;
  for (auto* x = inbox_.take_head(); x != nullptr;) {
    auto* next = static_cast<caf::mailbox_element*>(x->next);
    x->next = reversed;
    reversed = x;
    x = next;
  }
  if (reversed == nullptr)
    return false;
  while (reversed != nullptr) {
    auto* next = static_cast<caf::mailbox_element*>(reversed->next);
    (reversed->mid.is_urgent_message() ? urgent_ : normal_).push(reversed);
    reversed = next;
  }
  return true;
}

caf::mailbox_element* job_actor::next_message() {
  if (urgent_.head == nullptr && normal_.head == nullptr)
    fetch_mailbox();
  if (auto* x = urgent_.pop())
    return x;
  return normal_.pop();
}

caf::resumable::resume_result job_actor::resume(caf::execution_unit* eu, size_t max_throughput) {
  tsan_acquire(ctrl());
  // Whichever worker runs the next turn (a yield may be stolen), this turn happens before it.
  struct end_of_turn {
    job_actor* self;
    ~end_of_turn() { tsan_release(self->ctrl()); }
  } release_at_end{this};
  context(eu);
  turn_scope turn(this);
  if (!started_) {
    started_ = true;
    start();
  }
  for (size_t handled = 0; !terminated_;) {
    // CAF's default throughput is unbounded: a yield is what makes a busy job give way.
    if (std::exchange(end_turn_, false) || handled == max_throughput)
      return resume_result::resume_later;
    caf::mailbox_element_ptr x{next_message()};
    if (x == nullptr) {
      if (inbox_.try_block())
        return went_idle(resume_result::awaiting_message);
      continue;  // a message arrived meanwhile
    }
    handle(*x);
    ++handled;
  }
  return went_idle(resume_result::done);
}

void job_actor::start() {
  if (rec_.cancel_requested()) {
    // Cancelled (or killed) before it started: the body never runs.
    cancelled_ = true;
    std::exchange(body_, nullptr).destroy();
    if (rec_.kill_requested_.load(std::memory_order_acquire))
      rec_.set_killed();
    else
      rec_.set_cancelled();
    rec_.publish();
    terminate(caf::exit_reason::normal);
    return;
  }
  resume_point_ = body_;
  resume_job(wake::event);
}

void job_actor::handle(caf::mailbox_element& x) {
  if (x.mid.is_response()) {
    on_response(x);
    return;
  }
  auto& content = x.content();
  if (content.size() != 1)
    return;
  if (content.match_element<signal>(0)) {
    on_signal(content.get_as<signal>(0));
  } else if (content.match_element<envelope>(0)) {
    on_message(x, content.get_mutable_as<envelope>(0));
  } else if (content.match_element<link_exit>(0)) {
    on_link_exit(std::move(content.get_mutable_as<link_exit>(0).from));
  } else if (content.match_element<caf::exit_msg>(0)) {
    // A kill (run()'s shutdown after the grace period) or an exit from a linked CAF actor.
    auto& reason = content.get_as<caf::exit_msg>(0).reason;
    if (reason)
      terminate(reason);
  }
}

void job_actor::terminate(caf::error reason) {
  if (terminated_)
    return;
  terminated_ = true;
  if (body_) {
    // Killed: tear the frame down so that its destructors run.
    kind_ = wait_kind::none;
    std::exchange(body_, nullptr).destroy();
    rec_.set_killed();
    rec_.publish();
  }
  callbacks_.reset();  // a job's timers end with it
  stash_.reset();  // unanswered asks among them fail at once ("dropped without reply")
  // Requests still in the inbox bounce too (close() alone would delete them: an ask sent just as
  // the job ended would then wait for its whole timeout); from now on, they bounce in enqueue().
  struct bounce_rest {
    caf::detail::sync_request_bouncer bounce;
    void operator()(caf::mailbox_element* x) noexcept {
      caf::mailbox_element_ptr owned{x};
      bounce(*owned);
    }
  } rest{caf::detail::sync_request_bouncer{reason}};
  inbox_.close(rest);
  urgent_.clear(reason);
  normal_.clear(reason);
  cleanup(std::move(reason), context());
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
  child_interrupted_ = false;
  return ++token_;
}

bool job_actor::defer_if_cancelled() {
  if (!cancel_pending())
    return false;
  kind_ = wait_kind::yield;  // takes nothing (no message, no reply): it only suspends, then raises
  post_self(signal::interrupt, token_);
  return true;
}

void job_actor::post_self(signal::kind_t kind, std::uint32_t token) {
  // Straight into the FIFO, behind everything already in the mailbox; and the turn ends, so that
  // the scheduler runs every other ready actor first.
  end_turn_ = true;
  fetch_mailbox();
  normal_.push(caf::make_mailbox_element(nullptr, caf::make_message_id(), {}, signal{kind, token}).release());
}

void job_actor::schedule_timer(caf::actor_clock::time_point deadline, std::uint32_t token) {
  deadline = std::min(deadline, scope_deadline());
  if (deadline != caf::actor_clock::time_point::max())
    wait_timer_ = rt_.timers().schedule(deadline, ctrl(), signal::timer, token);
}

void job_actor::wait_yield(std::coroutine_handle<> h) {
  auto token = begin_wait(h, wait_kind::yield);
  if (!defer_if_cancelled())
    post_self(signal::wake, token);
}

void job_actor::wait_until(std::coroutine_handle<> h, caf::actor_clock::time_point deadline) {
  auto token = begin_wait(h, wait_kind::timer);
  if (!defer_if_cancelled())
    schedule_timer(deadline, token);
}

bool job_actor::wait_child(std::coroutine_handle<> h, record_base& child) {
  single_child_ = &child;
  return wait_children(h, {&single_child_, 1}, true);
}

bool job_actor::wait_children(std::coroutine_handle<> h, std::span<record_base* const> children,
                              bool forward_cancel) {
  // Register first: if one child has already ended, nothing suspends, and the token is used up so
  // that the late wake-ups of children registered before cannot end the *next* wait.
  for (auto* child : children) {
    if (!child->add_waiter(rec_.actor(), token_ + 1)) {
      ++token_;
      return false;
    }
  }
  auto token = begin_wait(h, wait_kind::child);
  children_ = children;
  forward_cancel_ = forward_cancel;
  // Begun while cancelled: the interruption (which forwards the cancellation to the children, or
  // resumes the job) runs from the mailbox, like a deadline's timer — never from inside this
  // await_suspend, where resuming the job would re-enter its coroutine before it has suspended.
  if (cancel_pending())
    post_self(signal::timer, token);
  else
    schedule_timer(caf::actor_clock::time_point::max(), token);
  return true;
}

bool job_actor::accepts(type_filter types, const any_box& payload) noexcept {
  for (auto* t : types)
    if (*t == payload.type())
      return true;
  return false;
}

bool job_actor::take_stashed(type_filter types, received& out) {
  if (cancel_pending())
    return false;  // suspend, then raise
  if (stash_ == nullptr)
    return false;
  for (auto i = stash_->begin(); i != stash_->end(); ++i) {
    if (accepts(types, *i->payload)) {
      out = std::move(*i);
      stash_->erase(i);
      return true;
    }
  }
  return false;
}

std::size_t job_actor::discard_stashed(type_filter keep) {
  if (stash_ == nullptr)
    return 0;
  return std::erase_if(*stash_, [&](const received& r) { return !accepts(keep, *r.payload); });
}

void job_actor::wait_message(std::coroutine_handle<> h, type_filter types,
                             const caf::actor_clock::time_point* deadline, received& out) {
  auto token = begin_wait(h, wait_kind::message);
  filter_ = types;
  message_slot_ = &out;
  if (defer_if_cancelled())
    return;
  schedule_timer(deadline != nullptr ? *deadline : caf::actor_clock::time_point::max(), token);
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
  // A request to an actor that has ended (or ends with it unread) bounces back at once as
  // sec::request_receiver_down: ask fails promptly instead of at its timeout.
  dest->enqueue(caf::make_mailbox_element(ctrl(), mid, {}, envelope{std::move(request)}), context());
  schedule_timer(deadline, token);
}

void job_actor::park(std::coroutine_handle<> h, wake_ticket& out) {
  auto token = begin_wait(h, wait_kind::parked);
  out.job = rec_.actor();
  out.token = token;
  schedule_timer(caf::actor_clock::time_point::max(), token);  // the scopes' deadline, if any
}

bool job_actor::suspend_if_cancelled(std::coroutine_handle<> h) {
  if (!cancel_pending())
    return false;
  begin_wait(h, wait_kind::yield);
  return defer_if_cancelled();  // the same deferral as every other wait that begins cancelled
}

wake job_actor::end_wait() {
  // Only a wait that was interrupted (or began cancelled) raises. A wait that completed keeps its
  // result — a message, a reply, a child's value — and the *next* suspension point raises.
  if (reason_ == wake::cancelled)
    throw cancelled{};
  return reason_;
}

void job_actor::resume_job(wake why) {
  LIBACTOR_ASSERT(tl_current == this, "a job resumed outside its own actor's turn");
  if (wait_timer_.seq != 0)
    rt_.timers().cancel(std::exchange(wait_timer_, {}));  // the wait is over: its timeout is moot
  reason_ = why;
  kind_ = wait_kind::none;
  children_ = {};
  message_slot_ = nullptr;
  reply_slot_ = nullptr;
  std::exchange(resume_point_, nullptr).resume();
  if (body_.done()) {
    std::exchange(body_, nullptr).destroy();
    if (link_cause_ && rec_.reason() == exit_reason::cancelled) {
      auto& cause = *link_cause_;
      rec_.fail_with(std::make_exception_ptr(linked_failure(cause.name(), cause.reason(), cause.take_error())));
    }
    rec_.publish();
    terminate(caf::exit_reason::normal);
  }
}

void job_actor::interrupt_wait() {
  if (kind_ != wait_kind::child || !forward_cancel_) {
    resume_job(wake::cancelled);
    return;
  }
  for (auto* child : children_) {
    if (child->done()) {
      resume_job(wake::event);  // a child ended before the cancellation was noticed: keep its result
      return;
    }
  }
  child_interrupted_ = true;  // the awaiter raises once a child has ended
  for (auto* child : children_)
    child->request_cancel();
}

// -- job-owned timers --------------------------------------------------------------------------

std::uint32_t job_actor::add_callback(caf::actor_clock::time_point first, caf::actor_clock::duration_type period,
                                      std::function<void()> fn) {
  if (callbacks_ == nullptr)
    callbacks_ = std::make_unique<callback_timers>();
  auto id = callbacks_->add(first, period, std::move(fn));
  rt_.timers().schedule(first, ctrl(), signal::callback, id);
  return id;
}

void job_actor::cancel_callback(std::uint32_t id) noexcept {
  if (callbacks_ != nullptr)
    callbacks_->cancel(id);
}

bool job_actor::callback_active(std::uint32_t id) const noexcept {
  return callbacks_ != nullptr && callbacks_->active(id);
}

// -- cancel scopes -----------------------------------------------------------------------------

bool job_actor::cancel_pending() {
  caf::actor_clock::time_point now{};
  bool have_now = false;
  for (auto* s = scopes_; s != nullptr; s = s->parent) {
    if (!s->cancel_called && s->deadline != caf::actor_clock::time_point::max()) {
      if (!have_now) {
        now = rt_.timers().now();
        have_now = true;
      }
      s->cancel_called = s->deadline <= now;
    }
    if (s->cancel_called)
      return true;
    if (s->shield)
      return false;
  }
  return cancelled_;
}

caf::actor_clock::time_point job_actor::scope_deadline() const noexcept {
  auto result = caf::actor_clock::time_point::max();
  for (auto* s = scopes_; s != nullptr; s = s->parent) {
    result = std::min(result, s->deadline);
    if (s->shield)
      break;
  }
  return result;
}

void job_actor::push_scope(scope_frame& scope) {
  LIBACTOR_ASSERT(tl_current == this, "a cancel scope opened outside its job's turn");
  scope.parent = scopes_;
  scopes_ = &scope;
}

void job_actor::pop_scope(scope_frame& scope) noexcept {
  // Scopes live in coroutine frames that nest like calls, so they close in LIFO order — also when
  // a killed job's frames are torn down from the innermost outwards.
  LIBACTOR_ASSERT(scopes_ == &scope, "cancel scopes closed out of order");
  scopes_ = scope.parent;
}

bool job_actor::scope_owns_cancellation(scope_frame& scope) {
  auto* saved = scopes_;
  scopes_ = &scope;
  bool own = cancel_pending();
  if (own && !scope.shield) {
    // Only if nothing outside is cancelled too: an outer cancellation must keep propagating.
    scopes_ = scope.parent;
    own = !cancel_pending();
  }
  scopes_ = saved;
  return own && scope.cancel_called;
}

// -- events ------------------------------------------------------------------------------------

void job_actor::on_signal(const signal& s) {
  switch (s.kind) {
    case signal::cancel:
      if (cancelled_)
        return;
      cancelled_ = true;
      if (kind_ != wait_kind::none && cancel_pending())
        interrupt_wait();  // a shield scope keeps it waiting
      return;
    case signal::wake:
      if (s.token == token_ && kind_ != wait_kind::none)
        resume_job(wake::event);
      return;
    case signal::child_done:
      if (s.token == token_ && kind_ != wait_kind::none)
        resume_job(child_interrupted_ ? wake::cancelled : wake::event);
      return;
    case signal::interrupt:
      if (s.token == token_ && kind_ != wait_kind::none)
        resume_job(wake::cancelled);
      return;
    case signal::timer:
      if (s.token != token_ || kind_ == wait_kind::none)
        return;
      wait_timer_ = {};  // it fired: nothing left to cancel (saves a lock per timed-out wait)
      if (cancel_pending())
        interrupt_wait();  // a scope's deadline passed
      else
        resume_job(kind_ == wait_kind::timer ? wake::event : wake::timeout);
      return;
    case signal::callback:
      if (callbacks_ != nullptr) {
        if (auto next = callbacks_->fire(s.token, rt_.timers().now(), rec_.name()))
          rt_.timers().schedule(*next, ctrl(), signal::callback, s.token);
      }
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
  if (r.payload != nullptr)
    deliver(std::move(r));
}

void job_actor::on_link_exit(record_ptr<record_base> from) {
  // Unlinked meanwhile (on either side): this exit no longer concerns the job.
  if (!rec_.remove_link(*from))
    return;
  auto reason = from->reason();
  if (trap_exits_) {
    post_message(make_box(exit_signal{job_ref{from}, reason}));  // behind the partner's messages
    return;
  }
  if (reason == exit_reason::normal)
    return;
  if (reason != exit_reason::cancelled && !link_cause_)
    link_cause_ = std::move(from);
  // Cancelled in this turn, not through the mailbox: an event already queued must not resume the
  // job first and let it believe it was spared (it could unlink, and be cancelled afterwards).
  rec_.cancel_requested_.store(true, std::memory_order_release);
  on_signal(signal{signal::cancel, 0});
}

void job_actor::post_message(std::unique_ptr<any_box> payload) {
  // Through the mailbox, not straight into the stash or the current wait: this may run inside a
  // call_later callback (the coroutine must not resume there), and messages already in the inbox
  // must stay ahead.
  enqueue(caf::make_mailbox_element(nullptr, caf::make_message_id(), {}, envelope{std::move(payload)}), context());
}

void job_actor::post_link_exit(record_ptr<record_base> from) {
  enqueue(caf::make_mailbox_element(nullptr, caf::make_message_id(caf::message_priority::high), {},
                                    link_exit{std::move(from)}),
          context());
}

void job_actor::deliver(received r) {
  if (kind_ == wait_kind::message && accepts(filter_, *r.payload)) {
    *message_slot_ = std::move(r);
    resume_job(wake::event);
  } else {
    if (stash_ == nullptr)
      stash_ = std::make_unique<std::deque<received>>();
    stash_->push_back(std::move(r));
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
  resume_job(wake::event);
}

} // namespace libactor::detail
