#include <libactor/detail/record.hpp>

#include <algorithm>
#include <thread>

#include "job_actor.hpp"
#include "log.hpp"

namespace libactor::detail {

namespace {
std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "(an exception not derived from std::exception)";
  }
}
} // namespace

record_base::~record_base() {
  if (error_ && !retrieved_.load(std::memory_order_acquire))
    log().error("job '{}' (id {}): exception never retrieved: {}", name(), id_, describe(error_));
}

std::string record_base::name() const {
  return given_name.empty() ? "job-" + std::to_string(id_) : given_name;
}

void record_base::lock() noexcept {
  while (lock_.test_and_set(std::memory_order_acquire))
    std::this_thread::yield();  // held only for a push or a swap
}

void record_base::request_cancel() noexcept {
  if (cancel_requested_.exchange(true, std::memory_order_acq_rel))
    return;
  auto* ctrl = static_cast<caf::actor_control_block*>(actor_.get());
  if (ctrl == nullptr)
    return;  // not launched yet: the flag alone keeps it from starting
  auto* dest = ctrl->get();
  auto* self = current_job();
  // High priority: a cancellation overtakes the messages already queued.
  dest->enqueue(caf::make_mailbox_element(nullptr, caf::make_message_id(caf::message_priority::high), {},
                                          signal{signal::cancel, 0}),
                self != nullptr ? self->context() : nullptr);
}

void record_base::rethrow_if_failed() const {
  if (was_cancelled_)
    throw cancelled{};
  if (error_) {
    retrieved_.store(true, std::memory_order_release);
    std::rethrow_exception(error_);
  }
}

void record_base::set_exception(std::exception_ptr e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const cancelled&) {
    was_cancelled_ = true;
  } catch (...) {
    error_ = std::move(e);
  }
}

bool record_base::add_waiter(const actor_ref& waiter, std::uint32_t token) {
  lock();
  if (finished_.load(std::memory_order_relaxed)) {
    unlock();
    return false;
  }
  // A job is in one wait at a time: its newer registration replaces an older one, so waiting on
  // the same children again and again (as_completed, gather) stays linear.
  auto same = [&](const waiter_entry& w) { return w.actor.get() == waiter.get(); };
  if (first_waiter_ && same(*first_waiter_)) {
    first_waiter_->token = token;
  } else if (auto i = std::find_if(more_waiters_.begin(), more_waiters_.end(), same); i != more_waiters_.end()) {
    i->token = token;
  } else if (!first_waiter_) {
    first_waiter_.emplace(waiter_entry{waiter, token});
  } else {
    more_waiters_.push_back({waiter, token});
  }
  unlock();
  return true;
}

void record_base::publish() {
  lock();
  finished_.store(true, std::memory_order_release);
  auto first = std::move(first_waiter_);
  auto more = std::move(more_waiters_);
  unlock();
  auto* self = current_job();
  auto wake = [&](const waiter_entry& w) {
    auto* dest = static_cast<caf::actor_control_block*>(w.actor.get())->get();
    dest->enqueue(caf::make_mailbox_element(nullptr, caf::make_message_id(), {}, signal{signal::child_done, w.token}),
                  self != nullptr ? self->context() : nullptr);
  };
  if (first)
    wake(*first);
  for (auto& w : more)
    wake(w);
  if (finish_fn_ != nullptr)
    finish_fn_(finish_arg_);
}

} // namespace libactor::detail
