// capacity_limiter (capacity_limiter.hpp).

#include <libactor/capacity_limiter.hpp>
#include <libactor/errors.hpp>

namespace libactor {

using detail::waiter;

capacity_limiter::capacity_limiter(std::size_t total_tokens) : total_(total_tokens) {
  if (total_tokens == 0)
    throw usage_error("libactor: a capacity_limiter needs at least one token");
}

bool capacity_limiter::try_take_locked(const void* borrower) {
  if (borrowers_.count(borrower) != 0)
    throw usage_error("libactor: capacity_limiter: this borrower already holds a token");
  if (borrowers_.size() >= total_ || !waiters_.empty())
    return false;
  borrowers_.insert(borrower);
  return true;
}

void capacity_limiter::grant_waiters_locked(detail::wakeups& wake) {
  while (!waiters_.empty() && borrowers_.size() < total_) {
    borrowers_.insert(waiters_.front().tag);
    waiters_.settle_front(waiter::state::granted, wake);
  }
}

bool capacity_limiter::begin_wait(waiter& w, detail::job_actor& self, std::coroutine_handle<> h) {
  if (w.tag == nullptr)
    w.tag = detail::job_identity(self);
  std::lock_guard guard{mu_};
  if (try_take_locked(w.tag))
    return false;
  for (auto* x = waiters_.head(); x != nullptr; x = x->next)
    if (x->tag == w.tag)
      throw usage_error("libactor: capacity_limiter: this borrower is already waiting for a token");
  detail::park_on(mu_, waiters_, w, self, h);
  return true;
}

void capacity_limiter::end_wait(waiter& w) {
  detail::finish_permit_wait(w, [&] { release_on_behalf_of(w.tag); });
}

bool capacity_limiter::try_acquire() {
  return try_acquire_on_behalf_of(detail::job_identity(detail::require_job("capacity_limiter::try_acquire")));
}

bool capacity_limiter::try_acquire_on_behalf_of(const void* borrower) {
  std::lock_guard guard{mu_};
  return try_take_locked(borrower);
}

void capacity_limiter::release() {
  release_on_behalf_of(detail::job_identity(detail::require_job("capacity_limiter::release")));
}

void capacity_limiter::release_on_behalf_of(const void* borrower) {
  detail::wakeups wake;
  std::lock_guard guard{mu_};
  if (borrowers_.erase(borrower) == 0)
    throw usage_error("libactor: capacity_limiter::release by a borrower that holds no token");
  grant_waiters_locked(wake);
}

std::size_t capacity_limiter::total_tokens() const {
  std::lock_guard guard{mu_};
  return total_;
}

void capacity_limiter::set_total_tokens(std::size_t total) {
  if (total == 0)
    throw usage_error("libactor: a capacity_limiter needs at least one token");
  detail::wakeups wake;
  std::lock_guard guard{mu_};
  total_ = total;
  grant_waiters_locked(wake);
}

std::size_t capacity_limiter::borrowed_tokens() const {
  std::lock_guard guard{mu_};
  return borrowers_.size();
}

std::size_t capacity_limiter::available_tokens() const {
  std::lock_guard guard{mu_};
  return total_ > borrowers_.size() ? total_ - borrowers_.size() : 0;
}

limiter_statistics capacity_limiter::statistics() const {
  std::lock_guard guard{mu_};
  return {borrowers_.size(), total_, waiters_.size()};
}

} // namespace libactor
