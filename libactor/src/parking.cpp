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
  remove(w);
  wake.add(std::move(w.ticket));
  w.st.store(st, std::memory_order_release);  // last: from here on the waiter may be gone
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

waiter::~waiter() {
  if (st.load(std::memory_order_acquire) != state::parked)
    return;  // never parked, or settled, or unlinked by finish_wait
  std::lock_guard guard{*mu};
  if (st.load(std::memory_order_relaxed) == state::parked)
    list->remove(*this);
}

waiter::state finish_wait(waiter& w) {
  auto st = w.st.load(std::memory_order_acquire);
  switch (st) {
    case waiter::state::ready:
    case waiter::state::failed:
    case waiter::state::granted:
      return st;  // completed or refused: settled ones keep their result even if cancelled meanwhile
    case waiter::state::deferred:
      break;
    case waiter::state::parked: {
      std::lock_guard guard{*w.mu};
      st = w.st.load(std::memory_order_relaxed);
      if (st != waiter::state::parked)
        return st;  // settled just now
      w.list->remove(w);
      w.st.store(waiter::state::ready, std::memory_order_relaxed);  // unlinked: nothing left for ~waiter
    }
  }
  // Interrupted (or never started) before being settled: this raises cancelled or the deadline.
  end_wait(require_job("a wait"));
  throw std::logic_error("libactor: internal error: a parked wait resumed without being settled");
}

} // namespace libactor::detail
