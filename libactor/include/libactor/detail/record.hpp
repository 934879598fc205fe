#pragma once
// The shared state of one spawned job: identity, the actor that runs it, its outcome and who waits
// for it. Handles, the runtime's registry of live jobs and the job's own actor each hold a reference.

#include <atomic>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <libactor/detail/actor_ref.hpp>
#include <libactor/errors.hpp>
#include <libactor/exit_reason.hpp>

namespace libactor::detail {

class job_actor;

class record_base {
public:
  record_base() noexcept = default;
  record_base(const record_base&) = delete;
  record_base& operator=(const record_base&) = delete;

  void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1)
      delete this;
  }

  std::uint64_t id() const noexcept { return id_; }
  /// The name given at spawn, or "job-<id>".
  std::string name() const;
  bool done() const noexcept { return finished_.load(std::memory_order_acquire); }
  /// Asks the job to stop: it raises `cancelled` at its next suspension point. Safe from any thread.
  void request_cancel() noexcept;
  bool cancel_requested() const noexcept { return cancel_requested_.load(std::memory_order_acquire); }
  /// Kills the job: at its next turn its frame is torn down (destructors run) without raising
  /// anything in it; it ends `killed`. Safe from any thread.
  void request_kill() noexcept;
  const actor_ref& actor() const noexcept { return actor_; }

  // -- outcome, valid once done() ------------------------------------------------------------
  /// Rethrows the job's exception (or `cancelled`) and marks it retrieved; returns if it succeeded.
  void rethrow_if_failed() const;
  bool failed() const noexcept { return error_ != nullptr || was_cancelled_; }
  exit_reason reason() const noexcept;
  /// The exception that ended the job (null unless it failed); marks it retrieved.
  std::exception_ptr take_error() const noexcept;

  // -- used by job promises and the runtime --------------------------------------------------
  /// Stores the exception that escaped the job's body (the one in flight).
  void set_exception(std::exception_ptr e) noexcept;
  void set_cancelled() noexcept { was_cancelled_ = true; }
  void set_killed() noexcept { was_cancelled_ = was_killed_ = true; }
  /// Replaces a `cancelled` outcome with a failure (a link's linked_failure).
  void fail_with(std::exception_ptr e) noexcept {
    was_cancelled_ = false;
    error_ = std::move(e);
  }
  /// Called once the job has ended: publishes the outcome and wakes every waiter.
  void publish();
  /// Registers `waiter` to receive a wake-up with `token` when this job ends.
  /// Returns false (and registers nothing) if the job has already ended.
  bool add_waiter(const actor_ref& waiter, std::uint32_t token);
  /// A function run (on the job's thread) right after publish(); used by run() for main.
  void on_finish(void (*fn)(void*), void* arg) noexcept {
    finish_fn_ = fn;
    finish_arg_ = arg;
  }

  // -- watches and links (watch.hpp) -----------------------------------------------------------
  /// Registers a watch: publish() sends `watcher`'s job a `down` with `watch_id`. False (and
  /// nothing registered) if this job has already ended.
  bool add_watch(record_base& watcher, std::uint64_t watch_id);
  /// True if the watch was still registered (the down not sent yet).
  bool remove_watch(std::uint64_t watch_id);
  /// Registers a link to `partner`: publish() sends its job a link_exit. False if this job has
  /// already ended. Idempotent.
  bool add_link(record_base& partner);
  /// True if the link to `partner` was registered (and is now removed).
  bool remove_link(const record_base& partner);

protected:
  virtual ~record_base();  // logs an exception that nobody retrieved

private:
  friend class job_actor;
  struct waiter_entry {
    actor_ref actor;
    std::uint32_t token;
  };
  struct observer;  // a watch or a link, record.cpp
  void notify_observers(std::vector<observer>& observers);
  void lock() noexcept;
  void unlock() noexcept { lock_.clear(std::memory_order_release); }

  std::atomic<std::uint32_t> refs_{1};
  std::atomic<bool> finished_{false};
  std::atomic<bool> cancel_requested_{false};
  std::atomic<bool> kill_requested_{false};
  mutable std::atomic<bool> retrieved_{false};
  std::atomic_flag lock_ = ATOMIC_FLAG_INIT;  // guards the waiters against finished_
  bool was_cancelled_ = false;
  bool was_killed_ = false;
  std::uint64_t id_ = 0;
  actor_ref actor_;
  std::exception_ptr error_;
  // Most jobs have at most one awaiter: it needs no allocation.
  std::optional<waiter_entry> first_waiter_;
  std::vector<waiter_entry> more_waiters_;
  void (*finish_fn_)(void*) = nullptr;
  void* finish_arg_ = nullptr;
  // Watches and links: allocated by the first one, so that other jobs pay one pointer.
  std::vector<observer>* observers_ = nullptr;

public:
  std::string given_name;  // set before launch
  // In a supervision tree (started by a supervisor, or by a job in one): run()'s shutdown leaves it
  // to the tree at first.
  bool supervised = false;
  // Intrusive links of the runtime's registry of live jobs.
  record_base* live_prev = nullptr;
  record_base* live_next = nullptr;
};

/// A record that also keeps the job's value.
template <class T>
class record final : public record_base {
public:
  std::optional<T> value;
};
template <>
class record<void> final : public record_base {};

/// Intrusive owning pointer to a record.
template <class R>
class record_ptr {
public:
  record_ptr() noexcept = default;
  explicit record_ptr(R* adopted) noexcept : p_(adopted) {}
  record_ptr(const record_ptr& o) noexcept : p_(o.p_) {
    if (p_) p_->retain();
  }
  template <class U, class = std::enable_if_t<std::is_convertible_v<U*, R*>>>
  record_ptr(const record_ptr<U>& o) noexcept : p_(o.get()) {
    if (p_) p_->retain();
  }
  record_ptr(record_ptr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  record_ptr& operator=(record_ptr o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~record_ptr() {
    if (p_) p_->release();
  }
  R* get() const noexcept { return p_; }
  R* operator->() const noexcept { return p_; }
  R& operator*() const noexcept { return *p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }

private:
  R* p_ = nullptr;
};

} // namespace libactor::detail
