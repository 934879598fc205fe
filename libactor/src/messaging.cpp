// Sending, replying, and the strong references that carry CAF actors through public headers.

#include <caf/actor_control_block.hpp>
#include <caf/mailbox_element.hpp>

#include <libactor/detail/runtime_api.hpp>

#include "caf_messages.hpp"
#include "job_actor.hpp"
#include "tsan.hpp"

namespace libactor::detail {

namespace {
caf::actor_control_block* ctrl_of(const actor_ref& r) noexcept {
  return static_cast<caf::actor_control_block*>(r.get());
}

void enqueue(const actor_ref& to, caf::message_id mid, std::unique_ptr<any_box> payload) {
  auto* dest = ctrl_of(to)->get();
  auto* self = current_job();
  caf::strong_actor_ptr sender = self != nullptr ? self->self_ptr() : nullptr;
  dest->enqueue(caf::make_mailbox_element(std::move(sender), mid, {}, envelope{std::move(payload)}),
                self != nullptr ? self->context() : nullptr);
}
} // namespace

void actor_ref::retain() noexcept {
  if (ctrl_ != nullptr)
    caf::intrusive_ptr_add_ref(static_cast<caf::actor_control_block*>(ctrl_));
}

void actor_ref::release() noexcept {
  if (ctrl_ == nullptr)
    return;
  tsan_release(ctrl_);  // this holder's uses happen before the actor is destroyed
  caf::intrusive_ptr_release(static_cast<caf::actor_control_block*>(std::exchange(ctrl_, nullptr)));
}

void send(const actor_ref& to, std::unique_ptr<any_box> msg) {
  if (!to)
    throw usage_error("libactor: send to a job that was never started");
  enqueue(to, caf::make_message_id(), std::move(msg));
}

reply_channel& reply_channel::operator=(reply_channel&& other) noexcept {
  if (this != &other) {
    reply_channel dropped{std::move(*this)};  // answers a pending request of the old value
    to_ = std::move(other.to_);
    request_id_ = other.request_id_;
  }
  return *this;
}

reply_channel::~reply_channel() {
  if (!to_)
    return;
  // Broken promise: tell the asker now rather than letting it wait for its timeout.
  auto* dest = ctrl_of(to_)->get();
  auto* self = current_job();
  dest->enqueue(caf::make_mailbox_element(nullptr, caf::message_id{request_id_}.response_id(), {},
                                          signal{signal::no_reply, 0}),
                self != nullptr ? self->context() : nullptr);
}

void reply_channel::deliver(std::unique_ptr<any_box> reply) {
  auto to = std::move(to_);
  enqueue(to, caf::message_id{request_id_}.response_id(), std::move(reply));
}

} // namespace libactor::detail
