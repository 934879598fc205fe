// supervisor.hpp's API: the calls (asks to the supervisor's job), start_supervisor and supervise.

#include <libactor/supervisor.hpp>

#include <libactor/detail/children.hpp>
#include <libactor/this_job.hpp>

#include "log.hpp"
#include "supervisor_core.hpp"

namespace libactor {

namespace {
const char* explain(supervisor_errc code) {
  switch (code) {
    case supervisor_errc::start_failed: return "failed to start";
    case supervisor_errc::restart_intensity_exceeded: return "restart intensity exceeded";
    case supervisor_errc::already_present: return "already present (stopped)";
    case supervisor_errc::already_started: return "already started";
    case supervisor_errc::running: return "is running";
    case supervisor_errc::restarting: return "is restarting";
    case supervisor_errc::not_found: return "not found";
    case supervisor_errc::simple_one_for_one: return "id-based call on a simple_one_for_one supervisor";
  }
  return "?";
}

std::string describe(supervisor_errc code, const std::string& sup, const std::string& id, const std::exception_ptr& cause) {
  std::string text = "libactor: supervisor '" + sup + "': child '" + id + "': " + explain(code);
  return cause ? text + ": " + detail::describe(cause) : text;
}

std::unique_ptr<detail::supervisor_request> request(detail::supervisor_request::op_t op) {
  auto rq = std::make_unique<detail::supervisor_request>();
  rq->op = op;
  return rq;
}

std::unique_ptr<detail::supervisor_request> request(detail::supervisor_request::op_t op, std::string_view id) {
  auto rq = request(op);
  rq->id = std::string(id);
  return rq;
}

detail::record_ptr<detail::record<void>> record_of(const job_ref& ref) {
  auto& rec = detail::record_access::of(ref);
  rec.retain();
  return detail::record_ptr<detail::record<void>>{static_cast<detail::record<void>*>(&rec)};
}

job<supervisor> start_supervisor_job(std::shared_ptr<detail::supervisor_core> core, spawn_options options) {
  auto state = std::make_shared<detail::start_state>(this_job::ref(), detail::next_start_key());
  std::string name = options.name.empty() ? core->name() : std::string(options.name);
  auto h = spawn(detail::announce_end(detail::supervisor_core::run(std::move(core), ready_token{state}),
                                      detail::signal_end{state}),
                 {.name = name, .home = options.home});
  if (co_await detail::wait_ready(state))
    co_return supervisor{h};
  detail::record_base* one[] = {&detail::record_access::of(h)};
  co_await detail::any_of(one);  // if this job is cancelled, so is the supervisor, and it has ended
  if (this_job::cancelled())
    throw cancelled{};
  try {
    co_await h;  // its supervisor_error
  } catch (const cancelled&) {
  }
  throw usage_error("libactor: supervisor '" + name + "' was cancelled before it had started");
}

job<void> stop_job(job_ref sup) {
  auto& rec = detail::record_access::of(sup);
  rec.request_cancel();
  detail::record_base* one[] = {&rec};
  co_await detail::any_of(one, false);
  if (rec.reason() == exit_reason::failed)
    std::rethrow_exception(rec.take_error());  // it had failed (escalated) before the stop
}
} // namespace

supervisor_error::supervisor_error(supervisor_errc code, std::string supervisor, std::string child_id,
                                   std::exception_ptr cause)
  : error(describe(code, supervisor, child_id, cause)), code_(code), child_id_(std::move(child_id)),
    cause_(std::move(cause)) {}

namespace detail {
job<supervisor_reply> call(job_ref sup, std::unique_ptr<supervisor_request> rq) {
  auto& self = require_job("a supervisor call");
  // No timeout, as OTP's calls to supervisors: a start may take as long as the child needs.
  ask_awaiter<supervisor_reply> ask{self, record_access::of(sup).actor(), make_box(std::move(*rq)),
                                    clock::time_point::max()};
  auto reply = co_await ask;
  if (reply.error)
    std::rethrow_exception(reply.error);
  co_return reply;
}

job<handle<void>> call_for_child(job_ref sup, std::unique_ptr<supervisor_request> rq) {
  auto reply = co_await call(std::move(sup), std::move(rq));
  co_return reply.child;
}

job<void> call_for_nothing(job_ref sup, std::unique_ptr<supervisor_request> rq) {
  co_await call(std::move(sup), std::move(rq));
}

job<std::vector<child_info>> call_for_children(job_ref sup) {
  auto reply = co_await call(std::move(sup), request(supervisor_request::which_children));
  co_return std::move(reply.children);
}

job<child_counts> call_for_counts(job_ref sup) {
  auto reply = co_await call(std::move(sup), request(supervisor_request::count_children));
  co_return reply.counts;
}
} // namespace detail

supervisor::supervisor(job_ref ref) : handle<void>(record_of(ref)) {}

job<handle<void>> supervisor::start_child(child_spec spec) const {
  auto rq = request(detail::supervisor_request::start_child);
  rq->spec = std::make_shared<const child_spec>(std::move(spec));
  if (rq->spec->id().empty())
    throw usage_error("libactor: start_child with an empty child id");
  return detail::call_for_child(*this, std::move(rq));
}

job<handle<void>> supervisor::start_child() const {
  return detail::call_for_child(*this, request(detail::supervisor_request::start_dynamic));
}

job<handle<void>> supervisor::start_child(child_spec::factory start) const {
  auto rq = request(detail::supervisor_request::start_dynamic);
  rq->factory = std::move(start);
  return detail::call_for_child(*this, std::move(rq));
}

job<void> supervisor::terminate_child(std::string_view id) const {
  return detail::call_for_nothing(*this, request(detail::supervisor_request::terminate_id, id));
}

job<void> supervisor::terminate_child(const job_ref& child) const {
  auto rq = request(detail::supervisor_request::terminate_job);
  rq->job = child;
  return detail::call_for_nothing(*this, std::move(rq));
}

job<handle<void>> supervisor::restart_child(std::string_view id) const {
  return detail::call_for_child(*this, request(detail::supervisor_request::restart_child, id));
}

job<void> supervisor::delete_child(std::string_view id) const {
  return detail::call_for_nothing(*this, request(detail::supervisor_request::delete_child, id));
}

job<void> supervisor::stop() const { return stop_job(*this); }

job<supervisor> start_supervisor(supervisor_spec spec, spawn_options options) {
  return start_supervisor_job(std::make_shared<detail::supervisor_core>(std::move(spec)), options);
}

job<void> supervise(supervisor_spec spec, ready_token started) {
  return detail::supervisor_core::run(std::make_shared<detail::supervisor_core>(std::move(spec)), std::move(started));
}

} // namespace libactor
