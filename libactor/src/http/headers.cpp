// http::headers (headers.hpp).

#include <libactor/http/headers.hpp>

#include <algorithm>

#include "ascii.hpp"

namespace libactor::http {

using detail::iequals;

std::optional<std::string_view> headers::get(std::string_view name) const noexcept {
  for (const auto& [n, v] : fields_)
    if (iequals(n, name))
      return std::string_view(v);
  return std::nullopt;
}

std::vector<std::string_view> headers::get_all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [n, v] : fields_)
    if (iequals(n, name))
      out.emplace_back(v);
  return out;
}

void headers::set(std::string_view name, std::string_view value) {
  remove(name);
  add(name, value);
}

void headers::add(std::string_view name, std::string_view value) { fields_.emplace_back(name, value); }

std::size_t headers::remove(std::string_view name) {
  return std::erase_if(fields_, [&](const field& f) { return iequals(f.first, name); });
}

} // namespace libactor::http
