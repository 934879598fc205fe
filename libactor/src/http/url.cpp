// http::url (url.hpp): parsing and reference resolution are uriparser's (RFC 3986); this file only
// checks that the result is an http(s) URL a client can fetch and splits it into request parts.

#include <libactor/http/url.hpp>

#include <algorithm>
#include <charconv>

#include <uriparser/Uri.h>

#include <libactor/http/errors.hpp>

#include "ascii.hpp"

namespace libactor::http {

namespace {

std::string_view text(const UriTextRangeA& r) noexcept {
  return r.first == nullptr ? std::string_view{} : std::string_view(r.first, static_cast<std::size_t>(r.afterLast - r.first));
}

[[noreturn]] void invalid(std::string_view input, std::string_view why) {
  throw error(errc::invalid_url, "invalid URL '" + std::string(input) + "': " + std::string(why));
}

/// A parsed uriparser URI, freed on scope exit.
class parsed_uri {
public:
  explicit parsed_uri(std::string_view input) {
    const char* error_pos = nullptr;
    if (uriParseSingleUriExA(&uri_, input.data(), input.data() + input.size(), &error_pos) != URI_SUCCESS) {
      uriFreeUriMembersA(&uri_);
      invalid(input, "malformed at offset " + std::to_string(error_pos ? error_pos - input.data() : 0));
    }
  }
  ~parsed_uri() { uriFreeUriMembersA(&uri_); }
  parsed_uri(const parsed_uri&) = delete;
  parsed_uri& operator=(const parsed_uri&) = delete;
  UriUriA* get() noexcept { return &uri_; }

private:
  UriUriA uri_{};
};

} // namespace

url url::parse(std::string_view input) {
  // uriparser accepts nothing that needs escaping, but be explicit about what a request line cannot carry.
  if (std::any_of(input.begin(), input.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7f; }))
    invalid(input, "it contains spaces or control characters");
  parsed_uri parsed(input);
  auto& u = *parsed.get();
  url out;
  out.scheme_ = detail::to_lower(text(u.scheme));
  if (out.scheme_.empty())
    invalid(input, "not absolute (no scheme)");
  if (out.scheme_ != "http" && out.scheme_ != "https")
    invalid(input, "the scheme '" + out.scheme_ + "' is not http or https");
  if (!text(u.userInfo).empty())
    invalid(input, "credentials in URLs are not supported (send an Authorization header)");
  out.host_ = detail::to_lower(text(u.hostText));
  if (out.host_.empty())
    invalid(input, "no host");
  auto port_text = text(u.portText);
  if (port_text.empty()) {
    out.port_ = out.is_tls() ? 443 : 80;
  } else {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 || value > 65535)
      invalid(input, "the port '" + std::string(port_text) + "' is not in 1..65535");
    out.port_ = static_cast<std::uint16_t>(value);
  }
  for (auto* segment = u.pathHead; segment != nullptr; segment = segment->next)
    out.target_.append("/").append(text(segment->text));
  if (out.target_.empty())
    out.target_ = "/";
  if (u.query.first != nullptr)
    out.target_.append("?").append(text(u.query));
  out.text_ = out.scheme_ + "://" + out.host_header() + out.target_;
  return out;
}

url url::resolve(std::string_view reference) const {
  if (std::any_of(reference.begin(), reference.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
    invalid(reference, "it contains control characters");
  parsed_uri base(text_);
  parsed_uri relative(reference);
  UriUriA resolved{};
  if (uriAddBaseUriExA(&resolved, relative.get(), base.get(), URI_RESOLVE_STRICTLY) != URI_SUCCESS) {
    uriFreeUriMembersA(&resolved);
    invalid(reference, "cannot be resolved against " + text_);
  }
  int size = 0;
  std::string joined;
  if (uriToStringCharsRequiredA(&resolved, &size) == URI_SUCCESS) {
    joined.resize(static_cast<std::size_t>(size) + 1);
    if (uriToStringA(joined.data(), &resolved, size + 1, nullptr) != URI_SUCCESS)
      joined.clear();
    joined.resize(static_cast<std::size_t>(size));
  }
  uriFreeUriMembersA(&resolved);
  if (joined.empty())
    invalid(reference, "cannot be resolved against " + text_);
  return parse(joined);
}

std::string url::host_header() const {
  bool ipv6 = host_.find(':') != std::string::npos;
  std::string out = ipv6 ? "[" + host_ + "]" : host_;
  if (port_ != (is_tls() ? 443 : 80))
    out += ":" + std::to_string(port_);
  return out;
}

bool url::same_origin(const url& other) const noexcept {
  return scheme_ == other.scheme_ && host_ == other.host_ && port_ == other.port_;
}

} // namespace libactor::http
