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
    auto it = timers_.insert(entry{deadline, id.seq, caf::weak_actor_ptr{target}, token, kind}).first;
    earliest = it == timers_.begin();
  }
  // In virtual time the thread waits for idleness, not for a deadline: no need to wake it.
  if (earliest && !virtual_)
    cv_.notify_one();
  return id;
}

void timer_service::cancel(const timer_id& id) {
  if (id.seq == 0)
    return;
  caf::weak_actor_ptr released;  // dropped after unlocking
  std::lock_guard guard{mu_};
  auto it = timers_.find(entry{id.deadline, id.seq, {}, 0, 0});
  if (it != timers_.end())
    released = std::move(timers_.extract(it).value().target);
  // The thread may be waiting for this deadline: it wakes then, finds a later one, and waits again.
}

std::size_t timer_service::pending() const {
  std::lock_guard guard{mu_};
  return timers_.size();
}

void timer_service::busy_dec() noexcept {
  if (busy_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    std::lock_guard guard{mu_};  // no lost wake-up between the thread's check and its wait
    cv_.notify_one();
  }
}

void timer_service::fire_due(std::unique_lock<std::mutex>& lock, time_point now) {
  std::vector<entry> due;
  while (!timers_.empty() && timers_.begin()->deadline <= now)
    due.push_back(std::move(timers_.extract(timers_.begin()).value()));
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
    if (timers_.empty()) {
      cv_.wait(lock);
    } else if (!virtual_) {
      auto deadline = timers_.begin()->deadline;
      if (std::chrono::steady_clock::now() >= deadline)
        fire_due(lock, std::chrono::steady_clock::now());
      else
        cv_.wait_until(lock, deadline);
    } else if (busy_.load(std::memory_order_acquire) == 0) {
      // Every job is idle: jump to the next deadline and fire what is due then.
      auto next = timers_.begin()->deadline;
      if (next.time_since_epoch().count() > virtual_now_.load(std::memory_order_relaxed))
        virtual_now_.store(next.time_since_epoch().count(), std::memory_order_release);
      fire_due(lock, now());
    } else {
      cv_.wait(lock);
    }
  }
}

} // namespace libactor::detail
