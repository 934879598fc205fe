// event (event.hpp).

#include <libactor/event.hpp>

namespace libactor {

using detail::waiter;

bool event::begin_wait(waiter& w, detail::job_actor& self, std::coroutine_handle<> h) {
  std::lock_guard guard{mu_};
  if (set_)
    return false;
  detail::park_on(mu_, waiters_, w, self, h);
  return true;
}

void event::end_wait(waiter& w) { detail::finish_wait(w); }

void event::set() {
  detail::wakeups wake;
  std::lock_guard guard{mu_};
  set_ = true;
  waiters_.settle_all(waiter::state::granted, wake);
}

void event::clear() {
  std::lock_guard guard{mu_};
  set_ = false;
}

bool event::is_set() const {
  std::lock_guard guard{mu_};
  return set_;
}

} // namespace libactor
