// Parking (detail/parking.hpp): waits that another job or thread ends.

#include <stdexcept>

#include <caf/actor_control_block.hpp>
#include <caf/mailbox_element.hpp>

#include <libactor/detail/parking.hpp>
#include <libactor/errors.hpp>

#include "caf_messages.hpp"
#include "job_actor.hpp"

namespace libactor::detail {

void park(job_actor& self, std::coroutine_handle<> h, wake_ticket& out) { self.park(h, out); }

void unpark(const wake_ticket& ticket) {
  auto* dest = static_cast<caf::actor_control_block*>(ticket.job.get())->get();
  auto* self = current_job();
  dest->enqueue(caf::make_mailbox_element(nullptr, caf::make_message_id(), {}, signal{signal::wake, ticket.token}),
                self != nullptr ? self->context() : nullptr);
}

bool suspend_if_cancelled(job_actor& self, std::coroutine_handle<> h) { return self.suspend_if_cancelled(h); }

bool cancel_pending(job_actor& self) { return self.cancel_pending(); }

const void* job_identity(job_actor& self) noexcept { return &self.record(); }

void waiter_list::push_back(waiter& w) noexcept {
  w.prev = tail_;
  w.next = nullptr;
  if (tail_ != nullptr)
    tail_->next = &w;
  else
    head_ = &w;
  tail_ = &w;
  ++size_;
}

void waiter_list::remove(waiter& w) noexcept {
  if (w.prev != nullptr)
    w.prev->next = w.next;
  else
    head_ = w.next;
  if (w.next != nullptr)
    w.next->prev = w.prev;
  else
    tail_ = w.prev;
  w.prev = w.next = nullptr;
  --size_;
}

void waiter_list::settle_front(waiter::state st, wakeups& wake) {
  auto& w = *head_;
  wake.add(std::move(w.ticket));  // first: it may throw (bad_alloc), and then nothing has changed
  remove(w);
  w.st.store(st, std::memory_order_release);
}

void waiter_list::settle_all(waiter::state st, wakeups& wake) {
  while (head_ != nullptr)
    settle_front(st, wake);
}

void park_on(std::mutex& mu, waiter_list& list, waiter& w, job_actor& self, std::coroutine_handle<> h) {
  park(self, h, w.ticket);
  w.st = waiter::state::parked;
  w.mu = &mu;
  w.list = &list;
  list.push_back(w);
}

void waiter::abandon() noexcept {
  if (st.load(std::memory_order_acquire) != state::parked)
    return;  // never parked, or unlinked by finish_wait (a settled waiter is not touched again)
  std::lock_guard guard{*mu};
  if (st.load(std::memory_order_relaxed) == state::parked) {
    list->remove(*this);
    st.store(state::ready, std::memory_order_relaxed);
  }
}

waiter::state finish_wait(waiter& w) {
  auto st = w.st.load(std::memory_order_acquire);
  switch (st) {
    case waiter::state::ready:
    case waiter::state::failed:
      if (w.mu == nullptr)
        return st;  // completed or refused at once, without parking
      [[fallthrough]];
    case waiter::state::granted:
    case waiter::state::parked: {
      // Under the lock: a waiter interrupted by a cancellation may resume while its settler is
      // still inside the primitive (settling others, unlocking); it must not return before that.
      std::lock_guard guard{*w.mu};
      st = w.st.load(std::memory_order_relaxed);
      if (st != waiter::state::parked)
        return st;  // settled: it keeps its result, even if a cancellation arrived meanwhile
      w.list->remove(w);
      w.st.store(waiter::state::ready, std::memory_order_relaxed);  // unlinked: nothing left for ~waiter
      break;
    }
    case waiter::state::deferred:
      break;
  }
  // Interrupted (or never started) before being settled: this raises cancelled or the deadline.
  end_wait(require_job("a wait"));
  throw std::logic_error("libactor: internal error: a parked wait resumed without being settled");
}

} // namespace libactor::detail
