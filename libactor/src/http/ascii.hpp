#pragma once
// Case-insensitive ASCII for the HTTP client: field names, methods, content codings, schemes, hosts.

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

#include <boost/beast/core/string.hpp>

namespace libactor::http::detail {

/// Beast's case-insensitive comparison, for std::string_view (Boost 1.74's takes boost::string_view).
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  return boost::beast::iequals({a.data(), a.size()}, {b.data(), b.size()});
}

/// `s` in lower case.
inline std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

} // namespace libactor::http::detail
