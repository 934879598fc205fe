#pragma once
/// @file http/headers.hpp
/// `http::headers`: an ordered list of header fields, looked up case-insensitively.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace libactor::http {

/// Header fields in the order they came (or were added); names compare case-insensitively.
/// Repeated fields (Set-Cookie) are kept apart.
class headers {
public:
  using field = std::pair<std::string, std::string>;

  /// The first value of `name`, if present.
  std::optional<std::string_view> get(std::string_view name) const noexcept;
  bool contains(std::string_view name) const noexcept { return get(name).has_value(); }
  /// Every value of `name`, in order.
  std::vector<std::string_view> get_all(std::string_view name) const;
  /// Replaces every field `name` by one with `value`.
  void set(std::string_view name, std::string_view value);
  /// Appends a field (keeps others of the same name).
  void add(std::string_view name, std::string_view value);
  /// Removes every field `name`; returns how many.
  std::size_t remove(std::string_view name);

  auto begin() const noexcept { return fields_.begin(); }
  auto end() const noexcept { return fields_.end(); }
  std::size_t size() const noexcept { return fields_.size(); }
  bool empty() const noexcept { return fields_.empty(); }

private:
  std::vector<field> fields_;
};

} // namespace libactor::http
