// barrier (barrier.hpp).

#include <libactor/barrier.hpp>
#include <libactor/errors.hpp>

namespace libactor {

using detail::waiter;

barrier::barrier(std::size_t parties) : parties_(parties) {
  if (parties == 0)
    throw usage_error("libactor: a barrier needs at least one party");
}

bool barrier::begin_wait(waiter& w, detail::job_actor& self, std::coroutine_handle<> h) {
  detail::wakeups wake;
  std::lock_guard guard{mu_};
  if (broken_) {
    w.st = waiter::state::failed;
    return false;
  }
  if (waiters_.size() + 1 < parties_) {
    detail::park_on(mu_, waiters_, w, self, h);
    return true;
  }
  // The last party: release the round. Indices follow arrival order; cancelled waiters have
  // already left the list, so the indices stay distinct.
  std::uint32_t index = 0;
  while (!waiters_.empty()) {
    waiters_.front().value = index++;  // before settling: a settled waiter may resume at once
    waiters_.settle_front(waiter::state::granted, wake);
  }
  w.value = index;
  return false;
}

std::size_t barrier::end_wait(waiter& w) {
  if (detail::finish_wait(w) == waiter::state::failed)
    throw broken_barrier("libactor: the barrier was aborted or reset");
  return w.value;
}

void barrier::abort() {
  detail::wakeups wake;
  std::lock_guard guard{mu_};
  broken_ = true;
  waiters_.settle_all(waiter::state::failed, wake);
}

void barrier::reset() {
  detail::wakeups wake;
  std::lock_guard guard{mu_};
  waiters_.settle_all(waiter::state::failed, wake);
  broken_ = false;
}

std::size_t barrier::waiting() const {
  std::lock_guard guard{mu_};
  return waiters_.size();
}

bool barrier::broken() const {
  std::lock_guard guard{mu_};
  return broken_;
}

} // namespace libactor
