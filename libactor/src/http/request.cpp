// http::request (request.hpp).

#include <libactor/http/request.hpp>

#include <array>

#include "ascii.hpp"

namespace libactor::http {

request& request::body(std::string data, std::string_view content_type) {
  body_ = std::move(data);
  if (!content_type.empty())
    headers_.set("Content-Type", content_type);
  return *this;
}

bool request::is_idempotent() const noexcept {
  if (idempotent_)
    return *idempotent_;
  // RFC 9110 §9.2.2.
  static constexpr std::array<std::string_view, 6> idempotent_methods{"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"};
  for (auto m : idempotent_methods)
    if (detail::iequals(method_, m))
      return true;
  return false;
}

} // namespace libactor::http
