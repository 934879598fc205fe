#pragma once
// Parking: the one mechanism behind every wait on a shared primitive (queues, locks, events,
// semaphores, barriers, limiters, to_thread).
//
// A primitive keeps its waiters in a FIFO list under its own mutex. A job that must wait links a
// `waiter` (living in its suspended frame) into that list and parks. Whoever makes progress for it
// — another job on another worker, or a pool thread — *grants* the waiter under the same mutex
// (moving the item or permit into it and unlinking it) and then unparks the job, which resumes in
// its own turn. Because granting and the waiter's own check after resumption both happen under
// the mutex, a waiter that is cancelled at the same moment either was granted (it keeps what it
// was given: nothing is lost, and its next suspension point raises) or was not (it unlinks itself
// and raises `cancelled`: nothing was taken). FIFO order of the list makes every primitive fair.

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

#include <libactor/detail/actor_ref.hpp>
#include <libactor/detail/runtime_api.hpp>
#include <libactor/errors.hpp>

namespace libactor::detail {

/// Who to wake: a parked job and the token of its wait (a stale token is ignored).
struct wake_ticket {
  actor_ref job;
  std::uint32_t token = 0;
};

/// Suspends `h` until unpark(out) is called — from any job or thread — or the job is cancelled
/// (or an enclosing scope's deadline passes). Fills `out` before returning.
void park(job_actor& self, std::coroutine_handle<> h, wake_ticket& out);
/// Ends the parked wait of `ticket`, from anywhere. Harmless when the wait has already ended.
void unpark(const wake_ticket& ticket);
/// If a cancellation is pending, suspends `h` so that end_wait() raises it and returns true: a wait
/// that begins while cancelled takes nothing.
bool suspend_if_cancelled(job_actor& self, std::coroutine_handle<> h);
/// True when the job's next suspension point would raise `cancelled`.
bool cancel_pending(job_actor& self);
/// The identity a primitive records for the current job (a lock's owner, a limiter's borrower).
const void* job_identity(job_actor& self) noexcept;

/// One job waiting on a primitive. Lives in the waiting coroutine's frame; never moves while linked.
struct waiter {
  enum class state : std::uint8_t {
    ready,      ///< did not suspend: the operation completed at once
    deferred,   ///< did not start: a cancellation was pending
    parked,     ///< linked and waiting
    granted,    ///< the primitive completed the operation for it
    failed,     ///< the primitive refused it (closed queue, broken barrier)
  };
  waiter() = default;
  /// Awaiters are movable until awaited (e.g. into `wait_for`); a waiter is linked only while
  /// its awaiter is suspended, so a move never sees a linked one.
  waiter(waiter&& other) noexcept : value(other.value), tag(other.tag) {}
  waiter& operator=(waiter&&) = delete;
  /// Unlinks a waiter still parked when its frame is torn down (a job killed at shutdown), so the
  /// primitive never keeps a dangling pointer.
  ~waiter() { abandon(); }
  /// Unlinks the waiter if it is still parked; harmless otherwise. Waiters that carry a payload
  /// call it in their own destructor, before the payload is destroyed.
  void abandon() noexcept;

  waiter* prev = nullptr;
  waiter* next = nullptr;
  wake_ticket ticket;
  /// Written by the settler under the primitive's lock; atomic so that ~waiter can tell without
  /// the lock that a waiter which never parked (or was unlinked) has nothing to undo.
  std::atomic<state> st{state::ready};
  std::uint32_t value = 0;  ///< a small result some primitives hand over (a barrier's arrival index)
  const void* tag = nullptr;  ///< who waits, for primitives that track holders (lock, limiter)
  std::mutex* mu = nullptr;   ///< the primitive's lock and list, set when parked
  class waiter_list* list = nullptr;
};

/// Tickets collected under a primitive's lock and unparked after it is released (declare it before
/// the lock guard), so a woken job never contends for the lock its waker still holds.
class wakeups {
public:
  wakeups() = default;
  wakeups(const wakeups&) = delete;
  wakeups& operator=(const wakeups&) = delete;
  ~wakeups() {
    if (first_.job)
      unpark(first_);
    for (auto& t : rest_)
      unpark(t);
  }
  void add(wake_ticket&& t) {
    if (!first_.job)
      first_ = std::move(t);  // the common case, one wake-up, allocates nothing
    else
      rest_.push_back(std::move(t));
  }

private:
  wake_ticket first_;
  std::vector<wake_ticket> rest_;
};

/// An intrusive FIFO of waiters. Every member function requires the owning primitive's lock.
class waiter_list {
public:
  bool empty() const noexcept { return head_ == nullptr; }
  std::size_t size() const noexcept { return size_; }
  waiter& front() noexcept { return *head_; }
  waiter* head() const noexcept { return head_; }
  void push_back(waiter& w) noexcept;
  void remove(waiter& w) noexcept;
  /// Unlinks the first waiter, marks it `st` (granted or failed) and queues its wake-up. Hand the
  /// waiter its result *before*: once settled, it may resume and vanish at any moment.
  void settle_front(waiter::state st, wakeups& wake);
  /// Settles every waiter with `st`.
  void settle_all(waiter::state st, wakeups& wake);

private:
  waiter* head_ = nullptr;
  waiter* tail_ = nullptr;
  std::size_t size_ = 0;
};

/// Parks the current job on `list`, guarded by `mu` (which the caller holds).
void park_on(std::mutex& mu, waiter_list& list, waiter& w, job_actor& self, std::coroutine_handle<> h);

/// The first step after a wait on a primitive resumes: returns the state it ended in (ready,
/// granted or failed); when it was interrupted before being settled, unlinks it and raises
/// `cancelled` (or the scope's deadline). A parked waiter takes the primitive's lock once more, so
/// that it never returns while its settler is still inside the primitive: the primitive must
/// outlive the waits on it.
waiter::state finish_wait(waiter& w);

/// The common await_suspend of every wait on a primitive: a job that is already cancelled takes
/// nothing (the waiter is marked deferred and finish_wait raises); otherwise `begin(self)` runs —
/// under the primitive's lock it completes the operation at once (false) or parks (true).
template <class Begin>
bool begin_or_defer(waiter& w, const char* operation, std::coroutine_handle<> h, Begin&& begin) {
  auto& self = require_job(operation);
  if (suspend_if_cancelled(self, h)) {
    w.st = waiter::state::deferred;
    return true;
  }
  return begin(self);
}

/// finish_wait for a wait that is handed a permit (lock, semaphore, limiter token): a waiter whose
/// job is cancelled by the time it resumes never keeps the permit — `give_back()` passes it on
/// and `cancelled` is raised, as asyncio's primitives do.
template <class GiveBack>
void finish_permit_wait(waiter& w, GiveBack&& give_back) {
  if (finish_wait(w) == waiter::state::granted && cancel_pending(require_job("a wait"))) {
    give_back();
    throw cancelled{};
  }
}

/// The awaiter of a wait on primitive `P`, which provides (possibly privately, befriending this):
/// `bool begin_wait(waiter&, job_actor&, std::coroutine_handle<>)` — under its lock, completes the
/// operation at once (false) or parks (true) — `end_wait(waiter&)` — the result, after finish_wait
/// — and `static constexpr const char* wait_name`.
// Awaiters have constructors on purpose: g++ 12 destroys an *aggregate* temporary with a
// non-trivial destructor twice when it appears in a co_await expression (docs/coding-style.md).
template <class P>
struct primitive_wait {
  explicit primitive_wait(P* primitive, waiter w = {}) noexcept : p(primitive), node(std::move(w)) {}
  P* p;
  waiter node;
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    return begin_or_defer(node, P::wait_name, h, [&](job_actor& self) { return p->begin_wait(node, self, h); });
  }
  decltype(auto) await_resume() { return p->end_wait(node); }
};

} // namespace libactor::detail
