#pragma once
// pool: a session's connections, kept alive between requests and bounded per host and in total.
//
// All state is under one mutex held for a few instructions; jobs that must wait for a free slot
// wait on the pool's current "changed" event, which every release replaces and sets (wake-all:
// each waiter re-checks the limits, so a waiter that leaves — cancelled, timed out — can never
// swallow a wake-up meant for another).

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <libactor/event.hpp>
#include <libactor/handle.hpp>
#include <libactor/http/options.hpp>
#include <libactor/http/session.hpp>
#include <libactor/http/url.hpp>
#include <libactor/job.hpp>

#include "connection.hpp"

namespace libactor::http::detail {

class pool : public std::enable_shared_from_this<pool> {
public:
  explicit pool(session_options options);
  ~pool();

  const session_options& options() const noexcept { return options_; }

  /// A connection to `u`'s origin: an idle kept-alive one, or a new one once the limits allow
  /// (closing an idle connection to another host when only the total limit is in the way). With
  /// `fresh`, always a new one — after a stale connection, the other idle ones are suspect too.
  /// Throws http::error (connect, tls, closed); bounded by the caller's deadline scopes.
  job<std::unique_ptr<connection>> acquire(const url& u, bool fresh = false);
  /// Takes a connection back: kept for reuse when `reusable` (and the pool is open), else closed.
  /// Frees its slot either way. Safe from any thread, inside or outside a job.
  void release(std::unique_ptr<connection> c, bool reusable) noexcept;
  /// Closes the idle connections; later acquires throw errc::closed.
  void close() noexcept;

  void count_stale() noexcept { stale_.fetch_add(1, std::memory_order_relaxed); }
  pool_stats stats() const;

private:
  struct host_slots {
    std::size_t open = 0;                               // in use + idle
    std::deque<std::unique_ptr<connection>> idle;       // most recently used at the back
  };
  struct claim;  // what acquire decided under the lock

  using doomed_list = std::deque<std::unique_ptr<connection>>;  // closed once the lock is released

  claim try_claim(const std::string& key, bool fresh, doomed_list& doomed);
  /// Moves idle connections past keepalive_timeout to `doomed`, freeing their slots. Returns when
  /// the next idle one expires (max() if none is idle).
  clock::time_point drop_expired(doomed_list& doomed);
  /// Starts the sweeper job unless it runs (under mutex_); true when the caller must spawn it.
  bool need_sweeper_locked();
  void start_sweeper();
  /// The sweeper's step: closes what expired; returns when to look again (max(): no idle
  /// connection is left, and the sweeper ends).
  clock::time_point sweep();
  friend job<void> sweep_idle(std::weak_ptr<pool> p);
  void forget(const std::string& key);  // one connection of `key` is gone (under mutex_)
  void free_slot(const std::string& key);
  /// Replaces the "changed" event; the caller sets the returned one once it has unlocked.
  std::shared_ptr<event> take_changed_locked();
  const tls_context& tls();

  const session_options options_;
  mutable std::mutex mutex_;
  std::map<std::string, host_slots> hosts_;
  std::size_t open_ = 0;
  bool closed_ = false;
  std::shared_ptr<event> changed_;
  // Idle connections expire even when no request comes: a sweeper job runs while any are idle.
  bool sweeper_running_ = false;
  job_ref sweeper_;
  std::once_flag tls_once_;
  std::unique_ptr<tls_context> tls_;
  std::atomic<std::uint64_t> opened_{0}, reused_{0}, stale_{0};
};

} // namespace libactor::http::detail
