#pragma once
/// @file message.hpp
/// Selective receive: a job takes the next message of the types it names from its mailbox; other
/// messages stay there, in arrival order, for a later `receive` (Erlang's `receive`).
///
/// Message types are ordinary movable structs: no registration, no serialization.
///
/// @code
/// auto m = co_await libactor::receive<increment, get_count>();
/// if (m.is<increment>()) ++n; else m.reply(n);          // answers an ask()
/// auto p = co_await libactor::receive<ping>(100ms);     // throws timeout_error after 100 ms
/// @endcode

#include <chrono>
#include <coroutine>
#include <string>
#include <typeinfo>
#include <utility>

#include <libactor/detail/runtime_api.hpp>
#include <libactor/errors.hpp>
#include <libactor/time.hpp>

namespace libactor {

/// A received message: one value of one of `Ts`.
template <class... Ts>
class message {
  static_assert(sizeof...(Ts) > 0, "libactor: receive<T...>() needs at least one type");

public:
  explicit message(detail::received r) noexcept : r_(std::move(r)) {}

  /// True when the message holds a `T`.
  template <class T>
  bool is() const noexcept {
    return r_.payload->type() == typeid(T);
  }
  /// The value as a `T`; throws usage_error if it holds another type.
  template <class T>
  T& get() {
    if (auto* v = detail::box_cast<T>(r_.payload.get()))
      return *v;
    throw usage_error(std::string("libactor: message does not hold a ") + typeid(T).name());
  }
  /// The value, for a message of a single type.
  auto& value()
    requires(sizeof...(Ts) == 1)
  {
    return get<Ts...>();
  }
  /// True when the sender used `ask` and waits for `reply`.
  bool expects_reply() const noexcept { return r_.reply.pending(); }
  /// Answers the sender's `ask`. Throws usage_error if the message was not an ask or was answered.
  /// A request that is dropped without a reply fails the asker at once ("dropped without reply").
  template <class R>
  void reply(R&& value) {
    if (!r_.reply.pending())
      throw usage_error("libactor: reply() to a message that expects none (not an ask, or answered)");
    r_.reply.deliver(detail::make_box(std::forward<R>(value)));
  }

private:
  detail::received r_;
};

namespace detail {
template <class... Ts>
inline constexpr const std::type_info* type_list[] = {&typeid(Ts)...};

template <class... Ts>
class receive_awaiter {
public:
  receive_awaiter(job_actor& self, const clock::time_point* deadline) noexcept : self_(self) {
    if (deadline != nullptr) {
      deadline_ = *deadline;
      has_deadline_ = true;
    }
  }
  bool await_ready() { return take_stashed(self_, type_list<Ts...>, slot_); }
  void await_suspend(std::coroutine_handle<> h) {
    suspended_ = true;
    wait_message(self_, h, type_list<Ts...>, has_deadline_ ? &deadline_ : nullptr, slot_);
  }
  message<Ts...> await_resume() {
    if (suspended_ && end_wait(self_) == wake::timeout)
      throw timeout_error("libactor: receive timed out");
    return message<Ts...>{std::move(slot_)};
  }

private:
  job_actor& self_;
  clock::time_point deadline_{};
  bool has_deadline_ = false;
  bool suspended_ = false;
  received slot_;
};
} // namespace detail

/// Waits for the next message of one of `Ts` (earlier ones first). Throws usage_error outside a job.
template <class... Ts>
[[nodiscard]] detail::receive_awaiter<Ts...> receive() {
  return {detail::require_job("receive"), nullptr};
}

/// Like receive(), but throws timeout_error if no such message arrives within `timeout`.
template <class... Ts, class Rep, class Period>
[[nodiscard]] detail::receive_awaiter<Ts...> receive(std::chrono::duration<Rep, Period> timeout) {
  auto& self = detail::require_job("receive");
  auto deadline = clock::now() + std::chrono::ceil<clock::duration>(timeout);
  return {self, &deadline};
}

} // namespace libactor
