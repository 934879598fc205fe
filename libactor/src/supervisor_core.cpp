// The supervisor's job: OTP's supervisor.erl rules (restart types, strategies, intensity within a
// period, escalation, start and stop order, shutdown policies) on libactor's watches.

#include "supervisor_core.hpp"

#include <algorithm>
#include <unordered_set>

#include <libactor/deadline.hpp>
#include <libactor/detail/children.hpp>
#include <libactor/message.hpp>
#include <libactor/shield.hpp>
#include <libactor/this_job.hpp>
#include <libactor/time.hpp>

#include "job_actor.hpp"
#include "log.hpp"

namespace libactor::detail {

namespace {
shutdown_policy effective(const child_options& o) {
  if (o.shutdown.mode != shutdown_policy::by_kind)
    return o.shutdown;
  return o.kind == child_kind::supervisor ? shutdown_policy::wait_forever()
                                          : shutdown_policy::within(std::chrono::seconds(5));
}

// Waits for the end without forwarding a cancellation (a shutdown timer's scope must end the wait).
job<void> wait_end(record_base* rec) {
  record_base* one[] = {rec};
  co_await any_of(one, false);
}

// Inline co_awaits of jobs that complete without suspending nest their frames on the stack in
// unoptimized builds (docs/coding-style.md, pitfall 3). Loops over any number of children yield
// now and then: a real suspension, after which the job resumes on a fresh stack.
constexpr unsigned yield_every = 64;

handle<void> spawn_supervised(job<void> body, const std::string& name) {
  return spawn_with(std::move(body), name, [](record_base& rec, std::coroutine_handle<> b) {
    rec.supervised = true;  // its supervisor stops it: run()'s shutdown leaves it alone
    launch(rec, b);
  });
}

std::uint64_t seed_of(const backoff_options& b) {
  if (b.seed != 0)
    return b.seed;
  std::random_device rd;
  return (std::uint64_t{rd()} << 32) | rd();
}
} // namespace

supervisor_core::supervisor_core(supervisor_spec spec) : spec_(std::move(spec)), rng_(seed_of(spec_.flags().backoff)) {
  auto bad = [&](const std::string& what) {
    throw usage_error("libactor: supervisor '" + spec_.name() + "': " + what);
  };
  auto& flags = spec_.flags();
  if (flags.period <= clock::duration::zero())
    bad("the period must be positive");
  auto& b = flags.backoff;
  if (b.min < clock::duration::zero() || (b.min > clock::duration::zero() && b.max < b.min))
    bad("backoff needs 0 <= min <= max");
  if (b.random_factor < 0 || b.random_factor > 1e6)
    bad("backoff random_factor must be >= 0");
  if (simple() && spec_.children().size() != 1)
    bad("simple_one_for_one needs exactly one child spec (the template)");
  std::unordered_set<std::string> ids;
  for (auto& c : spec_.children()) {
    if (c.id().empty())
      bad("a child spec has an empty id");
    if (!ids.insert(c.id()).second)
      bad("two child specs have the id '" + c.id() + "'");
    if (c.options().shutdown.mode == shutdown_policy::timeout && c.options().shutdown.after < clock::duration::zero())
      bad("child '" + c.id() + "' has a negative shutdown timeout");
  }
  if (!simple()) {
    for (auto& c : spec_.children()) {
      auto entry = std::make_unique<child>();
      entry->spec = std::make_shared<const child_spec>(c);
      entry->id = c.id();
      children_.push_back(std::move(entry));
    }
  }
}

supervisor_core::orphan_guard::~orphan_guard() {
  for (auto& c : core->children_)
    if (c->job.valid())
      c->job.cancel();
}

// -- the job -----------------------------------------------------------------------------------

job<void> supervisor_core::run(std::shared_ptr<supervisor_core> self, ready_token started) {
  orphan_guard guard{self.get()};
  bool cancelled_here = false;
  try {
    co_await self->start_all();
    if (!self->failure_) {
      started.ready();
      co_await self->serve();  // returns only to escalate
    }
  } catch (const cancelled&) {
    cancelled_here = true;
  }
  co_await shield(self->stop_group(self->all_children()));
  if (cancelled_here || !self->failure_)
    throw cancelled{};
  throw *self->failure_;
}

job<void> supervisor_core::start_all() {
  unsigned n = 0;
  for (auto& c : children_) {
    if (++n % yield_every == 0)
      co_await yield();
    if (this_job::cancelled())
      throw cancelled{};  // start no more: run() stops those already started
    auto failure = co_await start(c.get());
    if (failure) {
      log().error("supervisor '{}': child '{}' failed to start: {}", name(), c->id, describe(failure));
      failure_.emplace(supervisor_errc::start_failed, name(), c->id, failure);
      co_return;
    }
  }
}

job<void> supervisor_core::serve() {
  auto& self = require_job("supervisor");
  for (unsigned n = 1;; ++n) {
    if (n % yield_every == 0)
      co_await yield();
    static const std::type_info* const keep[] = {&typeid(down), &typeid(supervisor_request)};
    if (auto n = discard_stashed(self, keep))
      log().warn("supervisor '{}': dropped {} message(s) of types it does not handle", name(), n);
    auto due = clock::time_point::max();
    for (auto& c : children_)
      if (c->state == child_info::restarting)
        due = std::min(due, c->due);
    std::optional<message<down, supervisor_request>> m;
    if (due == clock::time_point::max()) {
      auto next = co_await receive<down, supervisor_request>();
      m.emplace(std::move(next));
    } else {
      try {
        auto next = co_await receive<down, supervisor_request>(due - clock::now());
        m.emplace(std::move(next));
      } catch (const timeout_error&) {
      }
    }
    if (!m) {
      co_await run_due_retries();
    } else if (m->is<down>()) {
      co_await on_down(m->get<down>());
    } else {
      supervisor_reply reply;
      co_await on_request(m->get<supervisor_request>(), reply);
      m->reply(std::move(reply));
    }
    if (failure_)
      co_return;
  }
}

// -- starting and stopping ---------------------------------------------------------------------

job<std::exception_ptr> supervisor_core::start(child* c) {
  std::shared_ptr<start_state> signal;
  std::exception_ptr failure;
  try {
    job<void> body;
    if (c->spec->waits_for_ready()) {
      signal = std::make_shared<start_state>(this_job::ref(), next_start_key());
      body = announce_end(c->spec->make(ready_token{signal}), signal_end{signal});
    } else {
      body = c->spec->make({});
    }
    if (!body.valid())
      throw usage_error("libactor: the factory of child '" + c->id + "' returned an empty job");
    c->job = spawn_supervised(std::move(body), name() + "/" + c->id);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    emit(supervisor_event::start_failed, c, exit_reason::failed, failure);
    co_return failure;
  }
  c->job_id = c->job.id();
  c->watch_id = watch(c->job);
  c->state = child_info::running;
  c->due = clock::time_point::max();
  bool ready = true;
  if (signal)
    ready = co_await wait_ready(signal);
  if (this_job::cancelled())
    throw cancelled{};  // the child is recorded as running: the supervisor's stop stops it
  if (!ready) {
    // It ended before calling ready(): a start failure. (If this job was cancelled instead, the
    // child counts as started and is stopped with the others.)
    auto& rec = record_access::of(c->job);
    co_await wait_end(&rec);
    unwatch(c->job, c->watch_id);
    auto reason = rec.reason();
    failure = reason == exit_reason::failed
                ? rec.take_error()
                : std::make_exception_ptr(error("libactor: child '" + c->id + "' ended (" + to_string(reason) +
                                                      ") before calling ready()"));
    c->job = {};
    c->job_id = 0;
    c->state = child_info::stopped;
    emit(supervisor_event::start_failed, c, reason, failure);
    co_return failure;
  }
  c->started_at = clock::now();
  emit(supervisor_event::started, c);
  co_return nullptr;
}

job<void> supervisor_core::stop(child* c) {
  if (c->job_id != 0) {
    unwatch(c->job, c->watch_id);  // its down, if already sent, is stale (job_id is reset below)
    auto& rec = record_access::of(c->job);
    if (!rec.done()) {
      auto policy = effective(c->spec->options());
      if (policy.mode == shutdown_policy::brutal_kill)
        rec.request_kill();
      else
        rec.request_cancel();
      if (policy.mode == shutdown_policy::timeout) {
        bool ended = co_await move_on_after(policy.after, wait_end(&rec));
        if (!ended)
          rec.request_kill();  // it ignored the cancellation for its whole timeout
      }
      co_await wait_end(&rec);
    }
    auto reason = rec.reason();
    auto error = rec.take_error();
    if (reason == exit_reason::failed)
      log().error("supervisor '{}': child '{}' failed while shutting down: {}", name(), c->id, describe(error));
    c->job_id = 0;
    emit(supervisor_event::terminated, c, reason, error);
    c->job = {};
  }
  c->state = child_info::stopped;
  c->due = clock::time_point::max();
}

job<void> supervisor_core::stop_group(std::vector<child*> group) {
  if (simple()) {
    // Dynamic children stop all at once, under one timer (OTP's terminate_dynamic_children).
    std::vector<record_base*> running;
    for (auto* c : group) {
      if (c->job_id != 0 && !c->job.done()) {
        unwatch(c->job, c->watch_id);
        running.push_back(&record_access::of(c->job));
      }
    }
    auto policy = effective(spec_.children().front().options());
    for (auto* r : running) {
      if (policy.mode == shutdown_policy::brutal_kill)
        r->request_kill();
      else
        r->request_cancel();
    }
    if (policy.mode == shutdown_policy::timeout && !running.empty()) {
      bool ended = co_await move_on_after(policy.after, wait_all_ended(running, false));
      if (!ended)
        for (auto* r : running)
          r->request_kill();
    }
    co_await wait_all_ended(running, false);
  }
  unsigned n = 0;
  for (auto i = group.rbegin(); i != group.rend(); ++i) {
    if (++n % yield_every == 0)
      co_await yield();
    co_await stop(*i);  // reverse start order; for dynamic children, only the bookkeeping is left
  }
}

job<void> supervisor_core::stop_siblings(child* c) {
  std::vector<child*> others;
  for (auto* g : group_of(c))
    if (g != c && g->job_id != 0)
      others.push_back(g);
  co_await shield(stop_group(others));
  for (auto* g : others)
    if (g->spec->options().restart == restart_type::temporary)
      erase(g);  // a temporary bystander is not restarted (OTP)
}

job<void> supervisor_core::restart_group(child* c) {
  co_await stop_siblings(c);
  auto group = group_of(c);
  unsigned n = 0;
  for (auto* g : group) {
    if (++n % yield_every == 0)
      co_await yield();
    if (g->held)
      continue;  // stopped by terminate_child: it stays stopped until restart_child
    if (this_job::cancelled())
      throw cancelled{};
    auto failure = co_await start(g);
    if (failure) {
      schedule_restart(g, failure);
      // The rest of the group starts with g's retry.
      for (auto* rest : group_of(g))
        if (rest != g && rest->state != child_info::running) {
          rest->state = child_info::restarting;
          rest->due = clock::time_point::max();
        }
      co_return;
    }
  }
}

void supervisor_core::schedule_restart(child* c, const std::exception_ptr& cause) {
  if (!count_restart(c, cause))
    return;
  ++c->restarts;
  auto delay = next_backoff(c);
  c->state = child_info::restarting;
  c->due = clock::now() + delay;
  emit(supervisor_event::restarting, c, exit_reason::failed, cause, delay);
}

job<void> supervisor_core::run_due_retries() {
  auto now = clock::now();
  for (auto& c : children_) {
    if (c->state == child_info::restarting && c->due <= now) {
      co_await restart_group(c.get());
      co_return;  // one at a time: calls queued meanwhile are answered first
    }
  }
}

// -- events ------------------------------------------------------------------------------------

job<void> supervisor_core::on_down(const down& d) {
  auto* c = find_job(d.job().id());
  if (c == nullptr)
    co_return;  // stale: an incarnation this supervisor stopped itself
  auto reason = d.reason();
  auto error = d.error();  // retrieved: the supervisor reports it
  if (reason == exit_reason::failed || reason == exit_reason::killed)
    log().error("supervisor '{}': child '{}' {}{}{}", name(), c->id, to_string(reason), error ? ": " : "",
                describe(error));
  emit(supervisor_event::exited, c, reason, error);
  auto uptime = clock::now() - c->started_at;
  c->job_id = 0;
  c->job = {};
  c->state = child_info::stopped;
  auto type = c->spec->options().restart;
  bool abnormal = reason == exit_reason::failed || reason == exit_reason::killed;
  if (type == restart_type::temporary || (type == restart_type::transient && !abnormal)) {
    if (type == restart_type::temporary || simple())
      erase(c);
    co_return;
  }
  if (this_job::cancelled())
    co_return;  // shutting down: restart nothing
  if (!count_restart(c, error))
    co_return;
  ++c->restarts;
  auto& backoff = spec_.flags().backoff;
  auto reset_after = backoff.reset_after > clock::duration::zero() ? backoff.reset_after : (backoff.min + backoff.max) / 2;
  if (uptime >= reset_after)
    c->backoff_n = 0;  // it ran long enough: a fresh series of delays (Akka's resetBackoffAfter)
  auto delay = next_backoff(c);
  if (delay > clock::duration::zero()) {
    // Siblings stop now; the whole group starts when the delay is over.
    co_await stop_siblings(c);
    for (auto* g : group_of(c)) {
      if (g != c) {
        g->state = child_info::restarting;
        g->due = clock::time_point::max();
      }
    }
    c->state = child_info::restarting;
    c->due = clock::now() + delay;
    emit(supervisor_event::restarting, c, reason, error, delay);
    co_return;
  }
  emit(supervisor_event::restarting, c, reason, error);
  co_await restart_group(c);
}

job<void> supervisor_core::on_request(supervisor_request& rq, supervisor_reply& out) {
  using op = supervisor_request;
  try {
    bool by_id = rq.op == op::start_child || rq.op == op::terminate_id || rq.op == op::restart_child ||
                 rq.op == op::delete_child;
    if (by_id && simple())
      fail(supervisor_errc::simple_one_for_one, rq.op == op::start_child ? rq.spec->id() : rq.id);
    if (rq.op == op::start_dynamic && !simple())
      throw usage_error("libactor: supervisor '" + name() + "': start_child() without a spec needs simple_one_for_one");
    if (rq.op == op::terminate_job && !simple())
      throw usage_error("libactor: supervisor '" + name() + "': terminate_child(job) needs simple_one_for_one");
  } catch (...) {
    out.error = std::current_exception();
    co_return;
  }
  switch (rq.op) {
    case op::start_child:
    case op::start_dynamic: {
      auto entry = std::make_unique<child>();
      if (rq.op == op::start_child) {
        if (auto* existing = find(rq.spec->id())) {
          out.error = std::make_exception_ptr(supervisor_error(
            existing->state == child_info::stopped ? supervisor_errc::already_present : supervisor_errc::already_started,
            name(), existing->id, nullptr));
          co_return;
        }
        entry->spec = rq.spec;
        entry->id = rq.spec->id();
      } else {
        auto& tmpl = spec_.children().front();
        entry->spec = rq.factory ? std::make_shared<const child_spec>(tmpl.id(), rq.factory, tmpl.options())
                                 : std::make_shared<const child_spec>(tmpl);
        entry->id = tmpl.id() + "-" + std::to_string(++dynamic_count_);
      }
      auto* c = entry.get();
      children_.push_back(std::move(entry));
      auto failure = co_await start(c);
      if (failure) {
        erase(c);
        out.error = std::make_exception_ptr(supervisor_error(supervisor_errc::start_failed, name(), rq.op == op::start_child ? rq.spec->id() : spec_.children().front().id(), failure));
      } else {
        out.child = c->job;
      }
      co_return;
    }
    case op::terminate_id:
    case op::terminate_job: {
      auto* c = rq.op == op::terminate_id ? find(rq.id) : (rq.job.valid() ? find_job(rq.job.id()) : nullptr);
      if (c == nullptr) {
        out.error = std::make_exception_ptr(supervisor_error(supervisor_errc::not_found, name(), rq.id, nullptr));
        co_return;
      }
      bool had_retry = c->state == child_info::restarting && c->due != clock::time_point::max();
      co_await shield(stop(c));
      c->held = true;
      if (had_retry) {
        // Its group members waited for this retry: they go on without it.
        for (auto* g : group_of(c))
          if (g != c && g->state == child_info::restarting && g->due == clock::time_point::max()) {
            g->due = clock::now();
            break;
          }
      }
      if (c->spec->options().restart == restart_type::temporary || simple())
        erase(c);
      co_return;
    }
    case op::restart_child:
    case op::delete_child: {
      auto* c = find(rq.id);
      if (c == nullptr) {
        out.error = std::make_exception_ptr(supervisor_error(supervisor_errc::not_found, name(), rq.id, nullptr));
        co_return;
      }
      if (c->state != child_info::stopped) {
        out.error = std::make_exception_ptr(supervisor_error(
          c->state == child_info::running ? supervisor_errc::running : supervisor_errc::restarting, name(), rq.id, nullptr));
        co_return;
      }
      if (rq.op == op::delete_child) {
        erase(c);
        co_return;
      }
      c->held = false;
      auto failure = co_await start(c);
      if (failure)
        out.error = std::make_exception_ptr(supervisor_error(supervisor_errc::start_failed, name(), rq.id, failure));
      else
        out.child = c->job;
      co_return;
    }
    case op::which_children:
      for (auto& c : children_)
        out.children.push_back({c->id, c->job_id != 0 ? job_ref{c->job} : job_ref{}, c->state,
                                c->spec->options().kind, c->restarts});
      co_return;
    case op::count_children:
      for (auto& c : children_) {
        ++out.counts.specs;
        if (c->job_id != 0 && !c->job.done())
          ++out.counts.active;
        ++(c->spec->options().kind == child_kind::supervisor ? out.counts.supervisors : out.counts.workers);
      }
      co_return;
  }
}

// -- bookkeeping -------------------------------------------------------------------------------

std::vector<supervisor_core::child*> supervisor_core::group_of(child* c) {
  switch (spec_.flags().strategy) {
    case restart_strategy::one_for_all:
      return all_children();
    case restart_strategy::rest_for_one: {
      std::vector<child*> out;
      bool in = false;
      for (auto& x : children_) {
        in = in || x.get() == c;
        if (in)
          out.push_back(x.get());
      }
      return out;
    }
    default:
      return {c};
  }
}

std::vector<supervisor_core::child*> supervisor_core::all_children() {
  std::vector<child*> out;
  for (auto& c : children_)
    out.push_back(c.get());
  return out;
}

supervisor_core::child* supervisor_core::find(std::string_view id) {
  for (auto& c : children_)
    if (c->id == id)
      return c.get();
  return nullptr;
}

supervisor_core::child* supervisor_core::find_job(std::uint64_t job_id) {
  for (auto& c : children_)
    if (c->job_id == job_id)
      return c.get();
  return nullptr;
}

void supervisor_core::erase(child* c) {
  std::erase_if(children_, [&](const child_ptr& x) { return x.get() == c; });
}

bool supervisor_core::count_restart(child* c, const std::exception_ptr& cause) {
  // OTP's add_restart: an entry counts while now <= then + period.
  auto now = clock::now();
  auto& flags = spec_.flags();
  restarts_.push_back(now);
  while (!restarts_.empty() && now - restarts_.front() > flags.period)
    restarts_.pop_front();
  if (restarts_.size() <= flags.intensity)
    return true;
  log().error("supervisor '{}': {} restarts within {} ms (intensity {}); child '{}' tipped it: {}", name(),
              restarts_.size(), std::chrono::duration_cast<std::chrono::milliseconds>(flags.period).count(),
              flags.intensity, c->id, describe(cause));
  emit(supervisor_event::escalated, c, exit_reason::failed, cause);
  failure_.emplace(supervisor_errc::restart_intensity_exceeded, name(), c->id, cause);
  return false;
}

clock::duration supervisor_core::next_backoff(child* c) {
  auto& b = spec_.flags().backoff;
  if (b.min <= clock::duration::zero())
    return {};
  // min(max, min * 2^n), without overflowing.
  auto base = b.min;
  for (unsigned i = 0; i < c->backoff_n && base < b.max; ++i)
    base *= 2;
  base = std::min(base, b.max);
  c->backoff_n = std::min(c->backoff_n + 1, 30u);
  double jitter = std::uniform_real_distribution<double>(0.0, 1.0)(rng_) * b.random_factor;
  return std::chrono::duration_cast<clock::duration>(base * (1.0 + jitter));
}

void supervisor_core::emit(supervisor_event::kind_t kind, const child* c, exit_reason reason,
                           std::exception_ptr error, clock::duration delay) {
  if (kind == supervisor_event::started && c->restarts > 0)
    log().info("supervisor '{}': restarted child '{}' (restart {})", name(), c->id, c->restarts);
  auto& fn = spec_.event_handler();
  if (!fn)
    return;
  supervisor_event e{kind, name(), c->id, c->job, reason, std::move(error), delay,
                     static_cast<unsigned>(restarts_.size()), clock::now()};
  try {
    fn(e);
  } catch (const std::exception& ex) {
    log().error("supervisor '{}': on_event threw: {}", name(), ex.what());
  } catch (...) {
    log().error("supervisor '{}': on_event threw a non-standard exception", name());
  }
}

void supervisor_core::fail(supervisor_errc code, const std::string& id, std::exception_ptr cause) const {
  throw supervisor_error(code, name(), id, std::move(cause));
}

} // namespace libactor::detail
