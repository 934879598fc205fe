// watch.hpp: watches and links. Both are entries in the watched job's record (record.cpp), taken
// out under its lock as it ends, so a registration either lands before the end or sees it.

#include <libactor/watch.hpp>

#include <atomic>

#include <libactor/detail/children.hpp>
#include <libactor/detail/runtime_api.hpp>

#include "job_actor.hpp"
#include "log.hpp"

namespace libactor {

namespace {
std::string describe(const std::string& name, exit_reason reason, const std::exception_ptr& cause) {
  std::string text = "libactor: cancelled because linked job '" + name + "' " + to_string(reason);
  return cause ? text + ": " + detail::describe(cause) : text;
}

detail::record_base& target_of(const job_ref& ref, detail::job_actor& self, const char* operation) {
  auto& target = detail::record_access::of(ref);
  if (&target == &self.record())
    throw usage_error(std::string("libactor: a job cannot ") + operation + " itself");
  return target;
}
} // namespace

std::exception_ptr down::error() const { return detail::record_access::of(job_).take_error(); }

std::exception_ptr exit_signal::error() const { return detail::record_access::of(from_).take_error(); }

linked_failure::linked_failure(std::string job_name, exit_reason reason, std::exception_ptr cause)
  : error(describe(job_name, reason, cause)),
    job_name_(std::move(job_name)), reason_(reason), cause_(std::move(cause)) {}

std::uint64_t watch(const job_ref& target) {
  static std::atomic<std::uint64_t> last_id{0};
  auto& self = detail::require_job("watch");
  auto& rec = target_of(target, self, "watch");
  auto id = ++last_id;
  if (!rec.add_watch(self.record(), id))
    self.post_message(detail::make_box(down{target, id, rec.reason()}));  // already ended
  return id;
}

bool unwatch(const job_ref& target, std::uint64_t id) {
  detail::require_job("unwatch");
  return detail::record_access::of(target).remove_watch(id);
}

void link(const job_ref& other) {
  auto& self = detail::require_job("link");
  auto& partner = target_of(other, self, "link");
  // (Both registrations are idempotent; no early return on this side's entry, which a concurrent
  // unlink by the partner may have left alone.)
  // The partner first: if it ends between the two registrations, its link_exit reaches this job
  // in a later turn, when this job's own entry (which that exit needs) is already there.
  bool partner_running = partner.add_link(self.record());
  self.record().add_link(partner);
  if (!partner_running) {
    partner.retain();
    self.post_link_exit(detail::record_ptr<detail::record_base>{&partner});
  }
}

void unlink(const job_ref& other) {
  auto& self = detail::require_job("unlink");
  auto& partner = detail::record_access::of(other);
  // This job's own entry decides: a link_exit already in its mailbox finds none and is dropped.
  self.record().remove_link(partner);
  partner.remove_link(self.record());
}

namespace this_job {
void trap_exits(bool on) { detail::require_job("this_job::trap_exits").trap_exits(on); }
bool traps_exits() { return detail::require_job("this_job::traps_exits").traps_exits(); }
} // namespace this_job

} // namespace libactor
