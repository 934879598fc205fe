// semaphore and bounded_semaphore (semaphore.hpp).

#include <libactor/errors.hpp>
#include <libactor/semaphore.hpp>

namespace libactor {

using detail::waiter;

bool semaphore::begin_wait(waiter& w, detail::job_actor& self, std::coroutine_handle<> h) {
  std::lock_guard guard{mu_};
  if (value_ > 0 && waiters_.empty()) {
    --value_;
    return false;
  }
  detail::park_on(mu_, waiters_, w, self, h);
  return true;
}

void semaphore::end_wait(waiter& w) {
  detail::finish_permit_wait(w, [this] { release(); });
}

bool semaphore::try_acquire() {
  std::lock_guard guard{mu_};
  if (value_ == 0 || !waiters_.empty())
    return false;
  --value_;
  return true;
}

void semaphore::release() {
  detail::wakeups wake;
  std::lock_guard guard{mu_};
  if (!waiters_.empty()) {
    waiters_.settle_front(waiter::state::granted, wake);  // the permit passes straight on
    return;
  }
  if (value_ >= bound_)
    throw usage_error("libactor: bounded_semaphore released more times than it was acquired");
  ++value_;
}

std::size_t semaphore::value() const {
  std::lock_guard guard{mu_};
  return value_;
}

std::size_t semaphore::waiting() const {
  std::lock_guard guard{mu_};
  return waiters_.size();
}

bool semaphore::locked() const {
  std::lock_guard guard{mu_};
  return value_ == 0 || !waiters_.empty();
}

} // namespace libactor
