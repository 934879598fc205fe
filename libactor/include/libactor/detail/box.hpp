#pragma once
// Type-erased message payloads. A message travels between jobs as one heap box; the receiver
// checks the dynamic type against the types it asked for, so no registration is needed.

#include <memory>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include <libactor/errors.hpp>

namespace libactor::detail {

class any_box {
public:
  virtual ~any_box() = default;
  virtual const std::type_info& type() const noexcept = 0;
  /// Deep copy; only needed if a message is ever duplicated. Throws usage_error for move-only types.
  virtual std::unique_ptr<any_box> clone() const = 0;
};

template <class T>
class box final : public any_box {
public:
  template <class... Args>
  explicit box(std::in_place_t, Args&&... args) : value(std::forward<Args>(args)...) {}
  const std::type_info& type() const noexcept override { return typeid(T); }
  std::unique_ptr<any_box> clone() const override {
    if constexpr (std::is_copy_constructible_v<T>)
      return std::make_unique<box>(std::in_place, value);
    else
      throw usage_error("libactor: a message of a move-only type cannot be copied");
  }
  T value;
};

template <class T>
std::unique_ptr<any_box> make_box(T&& value) {
  using V = std::decay_t<T>;
  static_assert(std::is_move_constructible_v<V>, "libactor: message types must be movable");
  return std::make_unique<box<V>>(std::in_place, std::forward<T>(value));
}

template <class T>
T* box_cast(any_box* b) noexcept {
  return b != nullptr && b->type() == typeid(T) ? &static_cast<box<T>*>(b)->value : nullptr;
}

} // namespace libactor::detail
