// condition (condition.hpp).

#include <exception>
#include <string>

#include <libactor/condition.hpp>
#include <libactor/errors.hpp>
#include <libactor/shield.hpp>

namespace libactor {

using detail::waiter;

namespace {
job<void> reacquire(lock& l) { co_await l.acquire(); }
} // namespace

void condition::require_lock(const char* operation) const {
  if (!lock_.held_by_current_job())
    throw usage_error(std::string("libactor: condition::") + operation + " requires holding its lock");
}

bool condition::begin_wait(waiter& w, detail::job_actor& self, std::coroutine_handle<> h) {
  {
    std::lock_guard guard{mu_};
    detail::park_on(mu_, waiters_, w, self, h);
  }
  // Parked before the lock is released, so a notify right after the release reaches this waiter.
  lock_.release();
  return true;
}

void condition::end_wait(waiter& w) { detail::finish_wait(w); }

job<void> condition::wait() {
  require_lock("wait");
  std::exception_ptr error;
  try {
    co_await detail::primitive_wait<condition>{this};
  } catch (...) {
    error = std::current_exception();
  }
  // The caller holds the lock again on every path out, cancellation included. (A wait that began
  // cancelled never released it.)
  if (!lock_.held_by_current_job())
    co_await shield(reacquire(lock_));
  if (error)
    std::rethrow_exception(error);
}

void condition::notify(std::size_t n) {
  require_lock("notify");
  detail::wakeups wake;
  std::lock_guard guard{mu_};
  for (; n > 0 && !waiters_.empty(); --n)
    waiters_.settle_front(waiter::state::granted, wake);
}

void condition::notify_all() {
  require_lock("notify_all");
  detail::wakeups wake;
  std::lock_guard guard{mu_};
  waiters_.settle_all(waiter::state::granted, wake);
}

} // namespace libactor
