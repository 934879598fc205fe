#pragma once
/// @file event.hpp
/// `event`: a flag that jobs wait for (asyncio.Event, trio.Event).
///
/// `set()` wakes every waiting job and lets later waits pass at once until `clear()`. Safe to set
/// from any thread, including a `to_thread` callable.
///
/// @code
/// la::event ready;
/// // in one job:    co_await ready.wait();
/// // in another:    ready.set();
/// @endcode

#include <coroutine>
#include <mutex>

#include <libactor/detail/parking.hpp>

namespace libactor {

/// A settable, clearable flag with waiters; see the file comment.
class event {
public:
  event() = default;
  event(const event&) = delete;
  event& operator=(const event&) = delete;

  /// Waits until the flag is set (returns at once when it is).
  [[nodiscard]] detail::primitive_wait<event> wait() { return detail::primitive_wait<event>{this}; }
  /// Sets the flag and wakes every waiter.
  void set();
  /// Resets the flag; later waits wait again.
  void clear();
  bool is_set() const;

private:
  friend struct detail::primitive_wait<event>;
  static constexpr const char* wait_name = "event::wait";
  bool begin_wait(detail::waiter& w, detail::job_actor& self, std::coroutine_handle<> h);
  void end_wait(detail::waiter& w);

  mutable std::mutex mu_;
  bool set_ = false;
  detail::waiter_list waiters_;
};

} // namespace libactor
