#pragma once
/// @file capacity_limiter.hpp
/// `capacity_limiter` (trio.CapacityLimiter): a pool of tokens, each held by one borrower — by
/// default the current job — so that at most `total_tokens` borrowers use a resource at once.
///
/// Unlike a semaphore it knows who holds its tokens: a borrower cannot take a second one
/// (usage_error, it would be a deadlock risk) and only a borrower can give one back. Fair (FIFO)
/// and cancellation-safe like `semaphore`. `to_thread` borrows from `default_thread_limiter()` on
/// behalf of each call, so at most 40 blocking calls run at once unless that total is changed.
///
/// @code
/// la::capacity_limiter db_connections{5};
/// auto token = co_await db_connections.scoped();
/// auto s = db_connections.statistics();   // s.borrowed, s.waiting, s.total
/// @endcode

#include <coroutine>
#include <cstddef>
#include <mutex>
#include <unordered_set>

#include <libactor/detail/parking.hpp>
#include <libactor/release_guard.hpp>

namespace libactor {

/// A snapshot of a limiter's state.
struct limiter_statistics {
  std::size_t borrowed = 0;  ///< tokens held now
  std::size_t total = 0;     ///< total_tokens()
  std::size_t waiting = 0;   ///< borrowers waiting for a token
};

/// Tokens with owners; see the file comment.
class capacity_limiter {
public:
  /// Raises usage_error when `total_tokens` is 0.
  explicit capacity_limiter(std::size_t total_tokens);
  capacity_limiter(const capacity_limiter&) = delete;
  capacity_limiter& operator=(const capacity_limiter&) = delete;

  /// Waits for a token, borrowed by the current job. Raises usage_error if it already holds one.
  [[nodiscard]] detail::primitive_wait<capacity_limiter> acquire() {
    return detail::primitive_wait<capacity_limiter>{this, with_tag(nullptr)};
  }
  /// Like acquire(), for `borrower` (any address that identifies it, e.g. a request object).
  [[nodiscard]] detail::primitive_wait<capacity_limiter> acquire_on_behalf_of(const void* borrower) {
    return detail::primitive_wait<capacity_limiter>{this, with_tag(borrower)};
  }
  /// Like acquire(), returning a guard that gives the token back when it goes out of scope.
  [[nodiscard]] detail::scoped_wait<capacity_limiter> scoped() {
    return detail::scoped_wait<capacity_limiter>{this, with_tag(nullptr)};
  }
  /// Takes a token for the current job if one is free and nobody waits; never suspends.
  bool try_acquire();
  bool try_acquire_on_behalf_of(const void* borrower);
  /// Gives back the current job's token. Raises usage_error if it holds none.
  void release();
  /// Gives back `borrower`'s token; callable from any thread. Raises usage_error if it holds none.
  void release_on_behalf_of(const void* borrower);

  std::size_t total_tokens() const;
  /// Changes the total; raising it wakes waiters at once, lowering it takes effect as tokens return.
  /// Raises usage_error for 0.
  void set_total_tokens(std::size_t total);
  std::size_t borrowed_tokens() const;
  std::size_t available_tokens() const;
  limiter_statistics statistics() const;

private:
  friend struct detail::primitive_wait<capacity_limiter>;
  static constexpr const char* wait_name = "capacity_limiter::acquire";
  static detail::waiter with_tag(const void* borrower) {
    detail::waiter w;
    w.tag = borrower;
    return w;
  }
  bool begin_wait(detail::waiter& w, detail::job_actor& self, std::coroutine_handle<> h);
  void end_wait(detail::waiter& w);
  bool try_take_locked(const void* borrower);
  void grant_waiters_locked(detail::wakeups& wake);

  mutable std::mutex mu_;
  std::size_t total_;
  std::unordered_set<const void*> borrowers_;
  detail::waiter_list waiters_;
};

} // namespace libactor
