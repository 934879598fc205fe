#pragma once
/// @file queue.hpp
/// Queues between jobs (asyncio.Queue, PriorityQueue and LifoQueue; Trio's memory channels), safe
/// for producers and consumers running on different worker threads at once.
///
/// - Bounded by default: a queue is built with a capacity (0 makes a rendezvous: each `put` waits
///   for a `get`), or with `libactor::unbounded` as an explicit choice. `put` waits while the queue
///   is full (backpressure), `get` waits while it is empty; `try_put`/`try_get` never wait.
/// - Fair: waiting producers and consumers are served in the order they started waiting, and an
///   item is handed straight to the longest-waiting consumer (no barging by a later `get`).
/// - Cancellation-safe: a cancelled `put` either delivered its item or did not (it raises
///   `cancelled` only in the second case); a cancelled `get` either returns its item or took none.
///   A wait that begins while the job is already cancelled takes nothing. No item is ever lost or
///   duplicated.
/// - `close()` (= `shutdown(shutdown_mode::drain)`): producers fail with `queue_closed`, consumers
///   still get what is left and then fail (`next()` returns nullopt: the end of iteration).
///   `shutdown(shutdown_mode::immediate)` also empties the queue at once — returning the items it
///   removed, so nothing disappears silently — and fails every waiter.
/// - `task_done()`/`join()`: as in asyncio, `join` waits until every item put has been marked done.
///
/// @code
/// la::queue<int> q{100};
/// co_await q.put(1);                          // waits while 100 items are queued
/// int x = co_await q.get();
/// while (auto item = co_await q.next()) use(*item);   // until closed and drained
/// @endcode

#include <algorithm>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include <libactor/detail/parking.hpp>
#include <libactor/errors.hpp>

namespace libactor {

/// Tag for a queue without a bound (explicit, because an unbounded queue has no backpressure).
struct unbounded_t {
  explicit constexpr unbounded_t() = default;
};
inline constexpr unbounded_t unbounded{};

/// How `shutdown` treats the items still queued.
enum class shutdown_mode {
  drain,      ///< consumers still receive them (close())
  immediate,  ///< they are removed and returned to the caller; every waiter fails now
};

namespace detail {

/// First in, first out (asyncio.Queue).
template <class T>
class fifo_store {
public:
  std::size_t size() const noexcept { return items_.size(); }
  void push(T&& item) { items_.push_back(std::move(item)); }
  T pop() {
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

private:
  std::deque<T> items_;
};

/// Last in, first out (asyncio.LifoQueue).
template <class T>
class lifo_store {
public:
  std::size_t size() const noexcept { return items_.size(); }
  void push(T&& item) { items_.push_back(std::move(item)); }
  T pop() {
    T item = std::move(items_.back());
    items_.pop_back();
    return item;
  }

private:
  std::vector<T> items_;
};

/// Highest priority first by `Compare` (as std::priority_queue: the greatest comes first, so
/// std::greater makes the smallest come first); equal priorities keep their insertion order.
template <class T, class Compare>
class heap_store {
public:
  heap_store(Compare cmp = Compare{}) : cmp_(std::move(cmp)) {}  // implicit: `priority_queue<T, C> q{n, C{...}}`
  std::size_t size() const noexcept { return items_.size(); }
  void push(T&& item) {
    items_.push_back(entry{std::move(item), next_seq_++});
    std::push_heap(items_.begin(), items_.end(), order{&cmp_});
  }
  T pop() {
    std::pop_heap(items_.begin(), items_.end(), order{&cmp_});
    T item = std::move(items_.back().item);
    items_.pop_back();
    return item;
  }

private:
  struct entry {
    T item;
    std::uint64_t seq;
  };
  struct order {  // "a comes out after b"
    Compare* cmp;
    bool operator()(const entry& a, const entry& b) const {
      if ((*cmp)(a.item, b.item))
        return true;
      if ((*cmp)(b.item, a.item))
        return false;
      return a.seq > b.seq;
    }
  };
  Compare cmp_;
  std::vector<entry> items_;
  std::uint64_t next_seq_ = 0;
};

} // namespace detail

/// A queue of `T` ordered by `Store`; use the aliases `queue`, `lifo_queue`, `priority_queue`.
/// Not copyable or movable: jobs wait inside it.
template <class T, class Store>
class basic_queue {
public:
  /// A queue holding at most `capacity` items (0: a rendezvous, each put waits for a get).
  explicit basic_queue(std::size_t capacity, Store store = Store{})
    : store_(std::move(store)), capacity_(capacity) {}
  /// A queue without a bound: `put` never waits.
  explicit basic_queue(unbounded_t, Store store = Store{})
    : store_(std::move(store)), capacity_(std::numeric_limits<std::size_t>::max()) {}
  basic_queue(const basic_queue&) = delete;
  basic_queue& operator=(const basic_queue&) = delete;

  /// Adds `item`, waiting while the queue is full. Raises `queue_closed` if the queue is or gets
  /// closed before the item is in (the item is then not delivered).
  [[nodiscard]] auto put(T item) { return put_awaiter{this, std::move(item)}; }
  /// Removes and returns the next item, waiting while the queue is empty. Raises `queue_closed`
  /// once the queue is closed and empty.
  [[nodiscard]] auto get() { return get_awaiter<false>{this}; }
  /// Like get(), but returns nullopt instead of raising once the queue is closed and drained:
  /// `while (auto item = co_await q.next())` iterates until the queue is closed.
  [[nodiscard]] auto next() { return get_awaiter<true>{this}; }

  /// Adds `item` if there is room now (moving from it only then); false when full.
  /// Raises `queue_closed` when the queue is closed.
  bool try_put(T&& item) { return try_put_impl(item); }
  bool try_put(const T& item) {
    T copy = item;
    return try_put_impl(copy);
  }
  /// Removes the next item if there is one now. Raises `queue_closed` when closed and empty.
  std::optional<T> try_get() {
    detail::wakeups wake;
    std::lock_guard guard{mu_};
    if (auto item = take_locked(wake))
      return item;
    if (closed_)
      throw queue_closed("libactor: try_get on a closed, empty queue");
    return std::nullopt;
  }

  /// No more puts; consumers receive the remaining items, then fail (shutdown(drain)).
  void close() { shutdown(shutdown_mode::drain); }
  /// Closes the queue. With `immediate`, also removes the queued items — returned, so nothing is
  /// lost silently — and fails every waiting consumer at once (asyncio's shutdown(immediate=True)).
  std::vector<T> shutdown(shutdown_mode mode) {
    std::vector<T> removed;
    detail::wakeups wake;
    std::lock_guard guard{mu_};
    closed_ = true;
    putters_.settle_all(detail::waiter::state::failed, wake);
    if (mode == shutdown_mode::immediate) {
      while (store_.size() != 0)
        removed.push_back(store_.pop());
      unfinished_ -= std::min(unfinished_, removed.size());
      if (unfinished_ == 0)
        joiners_.settle_all(detail::waiter::state::granted, wake);
    }
    if (store_.size() == 0)
      getters_.settle_all(detail::waiter::state::failed, wake);
    return removed;
  }

  /// Marks one item taken by a consumer as processed (for join()). Raises usage_error when called
  /// more often than items were put.
  void task_done() {
    detail::wakeups wake;
    std::lock_guard guard{mu_};
    if (unfinished_ == 0)
      throw usage_error("libactor: queue::task_done() called more times than items were put");
    if (--unfinished_ == 0)
      joiners_.settle_all(detail::waiter::state::granted, wake);
  }
  /// Waits until every item put so far has been marked with task_done().
  [[nodiscard]] auto join() { return join_awaiter{this}; }

  std::size_t size() const {
    std::lock_guard guard{mu_};
    return store_.size();
  }
  bool empty() const { return size() == 0; }
  bool full() const {
    std::lock_guard guard{mu_};
    return store_.size() >= capacity_;
  }
  /// The bound (SIZE_MAX when unbounded).
  std::size_t capacity() const noexcept { return capacity_; }
  bool closed() const {
    std::lock_guard guard{mu_};
    return closed_;
  }
  /// Items put but not yet marked done.
  std::size_t unfinished() const {
    std::lock_guard guard{mu_};
    return unfinished_;
  }

private:
  // Each unlinks itself before its payload is destroyed (a job killed while waiting), so no other
  // job can move from, or into, a payload that is gone.
  struct putter : detail::waiter {
    explicit putter(T&& x) : item(std::move(x)) {}
    putter(putter&&) = default;
    ~putter() { abandon(); }
    T item;
  };
  struct getter : detail::waiter {
    getter() = default;
    getter(getter&&) = default;
    ~getter() { abandon(); }
    std::optional<T> slot;
  };

  struct put_awaiter {
    basic_queue* q;
    putter node;
    put_awaiter(basic_queue* queue, T&& item) : q(queue), node(std::move(item)) {}
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) {
      return detail::begin_or_defer(node, "queue::put", h,
                                    [&](detail::job_actor& self) { return q->put_or_park(node, self, h); });
    }
    void await_resume() {
      if (detail::finish_wait(node) == detail::waiter::state::failed)
        throw queue_closed("libactor: put on a closed queue");
    }
  };

  // Awaiters have constructors: see detail::primitive_wait.
  template <bool EndAsNullopt>
  struct get_awaiter {
    explicit get_awaiter(basic_queue* queue) noexcept : q(queue) {}
    basic_queue* q;
    getter node;
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) {
      return detail::begin_or_defer(node, "queue::get", h,
                                    [&](detail::job_actor& self) { return q->get_or_park(node, self, h); });
    }
    auto await_resume() {
      bool failed = detail::finish_wait(node) == detail::waiter::state::failed;
      if constexpr (EndAsNullopt) {
        return failed ? std::nullopt : std::move(node.slot);
      } else {
        if (failed)
          throw queue_closed("libactor: get on a closed, empty queue");
        return T(std::move(*node.slot));
      }
    }
  };

  struct join_awaiter {
    explicit join_awaiter(basic_queue* queue) noexcept : q(queue) {}
    basic_queue* q;
    detail::waiter node;
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) {
      return detail::begin_or_defer(node, "queue::join", h, [&](detail::job_actor& self) {
        std::lock_guard guard{q->mu_};
        if (q->unfinished_ == 0)
          return false;
        detail::park_on(q->mu_, q->joiners_, node, self, h);
        return true;
      });
    }
    void await_resume() { detail::finish_wait(node); }
  };

  // Each returns false when the operation completed (or failed) at once, true when parked.
  bool put_or_park(putter& node, detail::job_actor& self, std::coroutine_handle<> h) {
    detail::wakeups wake;
    std::lock_guard guard{mu_};
    if (closed_) {
      node.st = detail::waiter::state::failed;
      return false;
    }
    if (!deliver_locked(node.item, wake)) {
      detail::park_on(mu_, putters_, node, self, h);
      return true;
    }
    return false;
  }

  bool get_or_park(getter& node, detail::job_actor& self, std::coroutine_handle<> h) {
    detail::wakeups wake;
    std::lock_guard guard{mu_};
    if ((node.slot = take_locked(wake)))
      return false;
    if (closed_) {
      node.st = detail::waiter::state::failed;
      return false;
    }
    detail::park_on(mu_, getters_, node, self, h);
    return true;
  }

  bool try_put_impl(T& item) {
    detail::wakeups wake;
    std::lock_guard guard{mu_};
    if (closed_)
      throw queue_closed("libactor: try_put on a closed queue");
    return deliver_locked(item, wake);
  }

  // Hands `item` to the longest-waiting consumer, or stores it if there is room. False when full.
  bool deliver_locked(T& item, detail::wakeups& wake) {
    if (!getters_.empty()) {
      // Consumers only wait on an empty queue, so this keeps the order.
      static_cast<getter&>(getters_.front()).slot.emplace(std::move(item));
      getters_.settle_front(detail::waiter::state::granted, wake);
    } else if (store_.size() < capacity_) {
      store_.push(std::move(item));
    } else {
      return false;
    }
    ++unfinished_;
    return true;
  }

  // Takes the next item (refilling from waiting producers), or nullopt.
  std::optional<T> take_locked(detail::wakeups& wake) {
    std::optional<T> item;
    if (store_.size() != 0) {
      item.emplace(store_.pop());
    } else if (!putters_.empty()) {
      // A rendezvous (capacity 0): take straight from the longest-waiting producer.
      item.emplace(std::move(static_cast<putter&>(putters_.front()).item));
      putters_.settle_front(detail::waiter::state::granted, wake);
      ++unfinished_;
      return item;
    } else {
      return std::nullopt;
    }
    while (!putters_.empty() && store_.size() < capacity_) {
      store_.push(std::move(static_cast<putter&>(putters_.front()).item));
      putters_.settle_front(detail::waiter::state::granted, wake);
      ++unfinished_;
    }
    if (closed_ && store_.size() == 0)
      getters_.settle_all(detail::waiter::state::failed, wake);
    return item;
  }

  mutable std::mutex mu_;
  Store store_;
  std::size_t capacity_;
  std::size_t unfinished_ = 0;
  bool closed_ = false;
  detail::waiter_list getters_;
  detail::waiter_list putters_;
  detail::waiter_list joiners_;
};

/// First in, first out (asyncio.Queue).
template <class T>
using queue = basic_queue<T, detail::fifo_store<T>>;
/// Last in, first out (asyncio.LifoQueue).
template <class T>
using lifo_queue = basic_queue<T, detail::lifo_store<T>>;
/// Highest priority first by `Compare` (the greatest by std::priority_queue's rule); the default
/// std::greater<T> serves the smallest first, like asyncio.PriorityQueue. Equal priorities come out
/// in insertion order. A comparator with state is passed after the capacity: `q{100, by_deadline{now}}`.
template <class T, class Compare = std::greater<T>>
using priority_queue = basic_queue<T, detail::heap_store<T, Compare>>;

} // namespace libactor
