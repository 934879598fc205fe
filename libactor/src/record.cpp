#include <libactor/detail/record.hpp>

#include <algorithm>
#include <thread>

#include <caf/exit_reason.hpp>
#include <caf/system_messages.hpp>

#include <libactor/watch.hpp>

#include "job_actor.hpp"
#include "log.hpp"

namespace libactor::detail {

// A watch or a link of this job.
struct record_base::observer {
  enum kind_t : std::uint8_t { watch, link };
  kind_t kind;
  std::uint64_t watch_id;        // watch
  actor_ref actor;               // who is told
  record_ptr<record_base> partner;  // watch: the watcher's record; link: the linked job's
};

record_base::~record_base() {
  delete observers_;
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

void record_base::request_kill() noexcept {
  kill_requested_.store(true, std::memory_order_release);
  cancel_requested_.store(true, std::memory_order_release);  // if it has not started, it never does
  auto* ctrl = static_cast<caf::actor_control_block*>(actor_.get());
  if (ctrl == nullptr)
    return;
  auto* self = current_job();
  // CAF's kill: job_actor::handle() tears the frame down when it takes this message.
  ctrl->get()->enqueue(caf::make_mailbox_element(nullptr, caf::make_message_id(caf::message_priority::high), {},
                                                 caf::exit_msg{caf::actor_addr{}, caf::exit_reason::kill}),
                       self != nullptr ? self->context() : nullptr);
}

exit_reason record_base::reason() const noexcept {
  if (was_killed_)
    return exit_reason::killed;
  if (was_cancelled_)
    return exit_reason::cancelled;
  return error_ ? exit_reason::failed : exit_reason::normal;
}

std::exception_ptr record_base::take_error() const noexcept {
  if (error_)
    retrieved_.store(true, std::memory_order_release);
  return error_;
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

bool record_base::add_watch(record_base& watcher, std::uint64_t watch_id) {
  lock();
  bool open = !finished_.load(std::memory_order_relaxed);
  if (open) {
    if (observers_ == nullptr)
      observers_ = new std::vector<observer>();
    // Watches of watchers that have ended go (Erlang drops a monitor with its owner): a long-lived
    // job watched by many short-lived ones does not grow. Pruned at powers of two: amortized O(1).
    auto n = observers_->size();
    if (n >= 8 && (n & (n - 1)) == 0)
      std::erase_if(*observers_, [](const observer& o) { return o.kind == observer::watch && o.partner->done(); });
    watcher.retain();
    observers_->push_back({observer::watch, watch_id, watcher.actor(), record_ptr<record_base>{&watcher}});
  }
  unlock();
  return open;
}

bool record_base::remove_watch(std::uint64_t watch_id) {
  lock();
  bool found = false;
  if (observers_ != nullptr)
    found = std::erase_if(*observers_, [&](const observer& o) {
              return o.kind == observer::watch && o.watch_id == watch_id;
            }) != 0;
  unlock();
  return found;
}

bool record_base::add_link(record_base& partner) {
  lock();
  bool open = !finished_.load(std::memory_order_relaxed);
  if (open) {
    if (observers_ == nullptr)
      observers_ = new std::vector<observer>();
    auto same = [&](const observer& o) { return o.kind == observer::link && o.partner.get() == &partner; };
    if (std::none_of(observers_->begin(), observers_->end(), same)) {
      partner.retain();
      observers_->push_back({observer::link, 0, partner.actor(), record_ptr<record_base>{&partner}});
    }
  }
  unlock();
  return open;
}

bool record_base::remove_link(const record_base& partner) {
  lock();
  bool found = false;
  if (observers_ != nullptr)
    found = std::erase_if(*observers_, [&](const observer& o) {
              return o.kind == observer::link && o.partner.get() == &partner;
            }) != 0;
  unlock();
  return found;
}

void record_base::notify_observers(std::vector<observer>& observers) {
  auto* self = current_job();
  auto* host = self != nullptr ? self->context() : nullptr;
  auto reason = this->reason();
  for (auto& o : observers) {
    auto* dest = static_cast<caf::actor_control_block*>(o.actor.get())->get();
    retain();
    record_ptr<record_base> me{this};
    if (o.kind == observer::watch) {
      // Normal priority, from the job's last turn: behind every message it sent the watcher.
      dest->enqueue(caf::make_mailbox_element(nullptr, caf::make_message_id(), {},
                                              envelope{make_box(down{job_ref{std::move(me)}, o.watch_id, reason})}),
                    host);
    } else {
      // High priority, like a cancellation; the partner decides in its own turn (unlink may win).
      dest->enqueue(caf::make_mailbox_element(nullptr, caf::make_message_id(caf::message_priority::high), {},
                                              link_exit{std::move(me)}),
                    host);
    }
  }
}

void record_base::publish() {
  lock();
  finished_.store(true, std::memory_order_release);
  auto first = std::move(first_waiter_);
  auto more = std::move(more_waiters_);
  std::unique_ptr<std::vector<observer>> observers{std::exchange(observers_, nullptr)};
  unlock();
  if (observers != nullptr)
    notify_observers(*observers);
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
