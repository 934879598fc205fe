#pragma once
// The message types libactor puts into CAF mailboxes. They never leave the process, so they are
// allowed as "unsafe" (non-serializable) types instead of having inspect() overloads.

#include <cstdint>
#include <memory>

#include <caf/allowed_unsafe_message_type.hpp>

#include <libactor/detail/box.hpp>
#include <libactor/detail/record.hpp>

namespace libactor::detail {

/// A user message (or an ask's request/reply): one boxed value.
struct envelope {
  std::unique_ptr<any_box> payload;

  explicit envelope(std::unique_ptr<any_box> p) noexcept : payload(std::move(p)) {}
  envelope(envelope&&) noexcept = default;
  envelope& operator=(envelope&&) noexcept = default;
  // CAF copies message contents only when one message is shared and then mutated, which libactor
  // never does; the copy is still correct (deep) for copyable payloads.
  envelope(const envelope& other) : payload(other.payload ? other.payload->clone() : nullptr) {}
  envelope& operator=(const envelope& other) {
    payload = other.payload ? other.payload->clone() : nullptr;
    return *this;
  }
};

/// A runtime event for a job's actor.
struct signal {
  enum kind_t : std::uint8_t {
    wake,          ///< resume the wait with this token (a yield)
    interrupt,     ///< end the wait with this token with `cancelled` (it began while cancelled)
    timer,         ///< the deadline of the wait with this token has passed
    child_done,    ///< the awaited child ended
    cancel,        ///< the job was cancelled
    no_reply,      ///< (as a response) the receiver dropped an ask without replying
    callback,      ///< run the job-owned timer callback with this id (call_later, call_every)
  };
  kind_t kind;
  std::uint32_t token;
};

/// A linked job has ended (sent to each partner of a link, record.cpp).
struct link_exit {
  record_ptr<record_base> from;
};

} // namespace libactor::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(libactor::detail::link_exit)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(libactor::detail::envelope)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(libactor::detail::signal)
