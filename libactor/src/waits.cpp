// The CAF-free entry points of runtime_api.hpp, forwarding to the job's actor.

#include <libactor/detail/runtime_api.hpp>
#include <libactor/this_job.hpp>

#include "job_actor.hpp"
#include "runtime.hpp"

namespace libactor::detail {

void wait_yield(job_actor& self, std::coroutine_handle<> h) { self.wait_yield(h); }

void wait_until(job_actor& self, std::coroutine_handle<> h, std::chrono::steady_clock::time_point deadline) {
  self.wait_until(h, deadline);
}

bool wait_child(job_actor& self, std::coroutine_handle<> h, record_base& child) {
  if (&child == &self.record())
    throw usage_error("libactor: a job cannot await its own handle (it would wait forever)");
  return self.wait_child(h, child);
}

bool wait_any_child(job_actor& self, std::coroutine_handle<> h, std::span<record_base* const> children,
                    bool forward_cancel) {
  for (auto* child : children)
    if (child == &self.record())
      throw usage_error("libactor: a job cannot await its own handle (it would wait forever)");
  return self.wait_children(h, children, forward_cancel);
}

bool take_stashed(job_actor& self, type_filter types, received& out) { return self.take_stashed(types, out); }
std::size_t discard_stashed(job_actor& self, type_filter keep) { return self.discard_stashed(keep); }

void wait_message(job_actor& self, std::coroutine_handle<> h, type_filter types,
                  const std::chrono::steady_clock::time_point* deadline, received& out) {
  self.wait_message(h, types, deadline, out);
}

void wait_reply(job_actor& self, std::coroutine_handle<> h, const actor_ref& target,
                std::unique_ptr<any_box> request, std::chrono::steady_clock::time_point deadline,
                ask_outcome& out) {
  if (!target)
    throw usage_error("libactor: ask to a job that was never started");
  if (target.get() == self.record().actor().get())
    throw usage_error("libactor: a job cannot ask itself (it would wait for its own reply)");
  self.wait_reply(h, target, std::move(request), deadline, out);
}

wake end_wait(job_actor& self) { return self.end_wait(); }

std::uint32_t add_callback(job_actor& self, std::chrono::steady_clock::time_point first,
                           std::chrono::steady_clock::duration period, std::function<void()> fn) {
  return self.add_callback(first, period, std::move(fn));
}
void cancel_callback(job_actor& self, std::uint32_t id) noexcept { self.cancel_callback(id); }
bool callback_active(job_actor& self, std::uint32_t id) noexcept { return self.callback_active(id); }

void push_scope(job_actor& self, scope_frame& scope) { self.push_scope(scope); }
void pop_scope(job_actor& self, scope_frame& scope) noexcept { self.pop_scope(scope); }
bool scope_owns_cancellation(job_actor& self, scope_frame& scope) { return self.scope_owns_cancellation(scope); }
std::chrono::steady_clock::time_point current_deadline(job_actor& self) { return self.scope_deadline(); }

} // namespace libactor::detail

namespace libactor {

clock::time_point clock::now() noexcept {
  auto* rt = detail::runtime::current();
  return rt != nullptr ? rt->timers().now() : std::chrono::steady_clock::now();
}

std::size_t pending_timers() noexcept {
  auto* rt = detail::runtime::current();
  return rt != nullptr ? rt->timers().pending() : 0;
}

} // namespace libactor

namespace libactor::this_job {

std::uint64_t id() { return detail::require_job("this_job::id").record().id(); }

std::string name() { return detail::require_job("this_job::name").record().name(); }

job_ref ref() {
  auto& rec = detail::require_job("this_job::ref").record();
  rec.retain();
  return job_ref{detail::record_ptr<detail::record_base>{&rec}};
}

bool cancelled() { return detail::require_job("this_job::cancelled").cancel_pending(); }

} // namespace libactor::this_job
