// http::headers (headers.hpp).

#include <libactor/http/headers.hpp>

#include <algorithm>

#include <boost/beast/core/string.hpp>

namespace libactor::http {

namespace {
bool same_name(std::string_view a, std::string_view b) noexcept {
  return boost::beast::iequals({a.data(), a.size()}, {b.data(), b.size()});
}
} // namespace

std::optional<std::string_view> headers::get(std::string_view name) const noexcept {
  for (const auto& [n, v] : fields_)
    if (same_name(n, name))
      return std::string_view(v);
  return std::nullopt;
}

std::vector<std::string_view> headers::get_all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [n, v] : fields_)
    if (same_name(n, name))
      out.emplace_back(v);
  return out;
}

void headers::set(std::string_view name, std::string_view value) {
  remove(name);
  add(name, value);
}

void headers::add(std::string_view name, std::string_view value) { fields_.emplace_back(name, value); }

std::size_t headers::remove(std::string_view name) {
  return std::erase_if(fields_, [&](const field& f) { return same_name(f.first, name); });
}

} // namespace libactor::http
