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

void timer_service::schedule(time_point deadline, caf::actor_control_block* target, std::uint8_t kind,
                             std::uint32_t token) {
  bool earliest;
  {
    std::lock_guard guard{mu_};
    heap_.push_back(entry{deadline, next_seq_++, caf::weak_actor_ptr{target}, token, kind});
    std::push_heap(heap_.begin(), heap_.end(), std::greater<>{});
    earliest = heap_.front().seq == next_seq_ - 1;
  }
  // In virtual time the thread waits for idleness, not for a deadline: no need to wake it.
  if (earliest && !virtual_)
    cv_.notify_one();
}

void timer_service::busy_dec() noexcept {
  if (busy_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    std::lock_guard guard{mu_};  // no lost wake-up between the thread's check and its wait
    cv_.notify_one();
  }
}

void timer_service::fire_due(std::unique_lock<std::mutex>& lock, time_point now) {
  std::vector<entry> due;
  while (!heap_.empty() && heap_.front().deadline <= now) {
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
