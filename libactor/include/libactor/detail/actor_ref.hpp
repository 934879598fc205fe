#pragma once
// A strong, CAF-free reference to the actor that runs a job. The runtime (libactor/src) is the only
// place that knows the pointee is a caf::actor_control_block; public headers just carry the pointer.

#include <cstdint>
#include <utility>

namespace libactor::detail {

class actor_ref {
public:
  actor_ref() noexcept = default;
  /// Adopts one strong reference already taken on `ctrl`.
  static actor_ref adopt(void* ctrl) noexcept {
    actor_ref r;
    r.ctrl_ = ctrl;
    return r;
  }
  actor_ref(const actor_ref& other) noexcept : ctrl_(other.ctrl_) { retain(); }
  actor_ref(actor_ref&& other) noexcept : ctrl_(std::exchange(other.ctrl_, nullptr)) {}
  actor_ref& operator=(actor_ref other) noexcept {
    std::swap(ctrl_, other.ctrl_);
    return *this;
  }
  ~actor_ref() { release(); }

  void* get() const noexcept { return ctrl_; }
  explicit operator bool() const noexcept { return ctrl_ != nullptr; }

private:
  void retain() noexcept;  // defined in src/messaging.cpp
  void release() noexcept;
  void* ctrl_ = nullptr;
};

} // namespace libactor::detail
