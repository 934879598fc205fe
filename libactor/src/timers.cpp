#include "timers.hpp"

#include <algorithm>
#include <functional>

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/mailbox_element.hpp>

#include "caf_messages.hpp"

namespace libactor::detail {

timer_service::timer_service(bool virtual_time)
  : virtual_(virtual_time),
    virtual_now_(std::chrono::steady_clock::now().time_since_epoch().count()),
    thread_([this] { run(); }) {}

timer_service::~timer_service() {
  {
    std::lock_guard guard{mu_};
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

timer_service::time_point timer_service::now() const noexcept {
  if (!virtual_)
    return std::chrono::steady_clock::now();
  return time_point{std::chrono::steady_clock::duration{virtual_now_.load(std::memory_order_acquire)}};
}

timer_service::timer_id timer_service::schedule(time_point deadline, caf::actor_control_block* target,
                                                std::uint8_t kind, std::uint32_t token) {
  bool earliest;
  timer_id id{deadline, 0};
  {
    std::lock_guard guard{mu_};
    id.seq = next_seq_++;
    heap_.push_back(entry{deadline, id.seq, caf::weak_actor_ptr{target}, token, kind});
    std::push_heap(heap_.begin(), heap_.end(), std::greater<>{});
    earliest = heap_.front().seq == id.seq;
  }
  // In virtual time the thread waits for idleness, not for a deadline: no need to wake it.
  if (earliest && !virtual_)
    cv_.notify_one();
  return id;
}

void timer_service::cancel(const timer_id& id) {
  if (id.seq == 0)
    return;
  std::vector<entry> removed;  // their weak references are dropped after unlocking
  std::lock_guard guard{mu_};
  cancelled_.insert(id.seq);
  // Compact once cancelled entries could be half the heap: memory stays within twice the live
  // timers, at an amortized constant cost per cancellation.
  if (cancelled_.size() >= 1024 && cancelled_.size() * 2 >= heap_.size()) {
    auto live_end = std::partition(heap_.begin(), heap_.end(), [&](const entry& e) { return !cancelled_.contains(e.seq); });
    removed.assign(std::make_move_iterator(live_end), std::make_move_iterator(heap_.end()));
    heap_.erase(live_end, heap_.end());
    std::make_heap(heap_.begin(), heap_.end(), std::greater<>{});
    cancelled_.clear();  // also forgets seqs of timers that had fired before their cancellation
  }
  // A cancelled earliest deadline may wake the thread for nothing: it skips the entry and waits again.
}

std::size_t timer_service::pending() const {
  std::lock_guard guard{mu_};
  return static_cast<std::size_t>(
      std::count_if(heap_.begin(), heap_.end(), [&](const entry& e) { return !cancelled_.contains(e.seq); }));
}

void timer_service::pop_top() {
  std::pop_heap(heap_.begin(), heap_.end(), std::greater<>{});
  heap_.pop_back();
}

void timer_service::drop_cancelled_top() {
  while (!heap_.empty() && cancelled_.erase(heap_.front().seq) > 0)
    pop_top();
}

void timer_service::busy_dec() noexcept {
  if (busy_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    std::lock_guard guard{mu_};  // no lost wake-up between the thread's check and its wait
    cv_.notify_one();
  }
}

void timer_service::fire_due(std::unique_lock<std::mutex>& lock, time_point now) {
  std::vector<entry> due;
  for (drop_cancelled_top(); !heap_.empty() && heap_.front().deadline <= now; drop_cancelled_top()) {
    std::pop_heap(heap_.begin(), heap_.end(), std::greater<>{});
    due.push_back(std::move(heap_.back()));
    heap_.pop_back();
  }
  lock.unlock();
  for (auto& e : due) {
    if (auto target = caf::actor_cast<caf::strong_actor_ptr>(e.target))
      target->get()->enqueue(caf::make_mailbox_element(nullptr, caf::make_message_id(), {},
                                                       signal{static_cast<signal::kind_t>(e.kind), e.token}),
                             nullptr);
  }
  lock.lock();
}

void timer_service::run() {
  std::unique_lock lock{mu_};
  while (!stop_) {
    drop_cancelled_top();
    if (heap_.empty()) {
      cv_.wait(lock);
    } else if (!virtual_) {
      auto deadline = heap_.front().deadline;
      if (std::chrono::steady_clock::now() >= deadline)
        fire_due(lock, std::chrono::steady_clock::now());
      else
        cv_.wait_until(lock, deadline);
    } else if (busy_.load(std::memory_order_acquire) == 0) {
      // Every job is idle: jump to the next deadline and fire what is due then.
      auto next = heap_.front().deadline;
      if (next.time_since_epoch().count() > virtual_now_.load(std::memory_order_relaxed))
        virtual_now_.store(next.time_since_epoch().count(), std::memory_order_release);
      fire_due(lock, now());
    } else {
      cv_.wait(lock);
    }
  }
}

} // namespace libactor::detail
