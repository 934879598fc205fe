// lock (lock.hpp).

#include <libactor/errors.hpp>
#include <libactor/lock.hpp>

namespace libactor {

using detail::waiter;

bool lock::begin_wait(waiter& w, detail::job_actor& self, std::coroutine_handle<> h) {
  auto* me = detail::job_identity(self);
  std::lock_guard guard{mu_};
  if (owner_ == me)
    throw usage_error("libactor: lock::acquire in the job that already holds the lock (it would wait forever)");
  if (owner_ == nullptr && waiters_.empty()) {
    owner_ = me;
    return false;
  }
  w.tag = me;
  detail::park_on(mu_, waiters_, w, self, h);
  return true;
}

void lock::end_wait(waiter& w) {
  detail::finish_permit_wait(w, [this] { release(); });
}

bool lock::try_acquire() {
  auto* me = detail::job_identity(detail::require_job("lock::try_acquire"));
  std::lock_guard guard{mu_};
  if (owner_ == me)
    throw usage_error("libactor: lock::try_acquire in the job that already holds the lock");
  if (owner_ != nullptr || !waiters_.empty())
    return false;
  owner_ = me;
  return true;
}

void lock::release() {
  auto* me = detail::job_identity(detail::require_job("lock::release"));
  detail::wakeups wake;
  std::lock_guard guard{mu_};
  if (owner_ != me)
    throw usage_error(owner_ == nullptr ? "libactor: lock::release of a lock that is not held"
                                        : "libactor: lock::release by a job that does not hold the lock");
  if (waiters_.empty()) {
    owner_ = nullptr;
  } else {
    owner_ = waiters_.front().tag;  // handed over: no newcomer can take it in between
    waiters_.settle_front(waiter::state::granted, wake);
  }
}

bool lock::locked() const {
  std::lock_guard guard{mu_};
  return owner_ != nullptr;
}

bool lock::held_by_current_job() const {
  auto* self = detail::current_job();
  if (self == nullptr)
    return false;
  std::lock_guard guard{mu_};
  return owner_ == detail::job_identity(*self);
}

} // namespace libactor
