#pragma once
/// @file http/url.hpp
/// `http::url`: an absolute http or https URL, parsed and resolved per RFC 3986 (uriparser).

#include <cstdint>
#include <string>
#include <string_view>

namespace libactor::http {

/// An absolute `http://` or `https://` URL, split into what a request needs.
class url {
public:
  /// Parses an absolute URL. Throws http::error (errc::invalid_url) for anything else: a relative
  /// reference, another scheme, no host, a port outside 1..65535, spaces or control characters.
  static url parse(std::string_view text);

  /// Resolves `reference` (a Location header: absolute, or relative like "../b?c") against this URL.
  /// Throws http::error (errc::invalid_url) when the result is not a valid http(s) URL.
  url resolve(std::string_view reference) const;

  const std::string& scheme() const noexcept { return scheme_; }  ///< "http" or "https", lower case
  const std::string& host() const noexcept { return host_; }      ///< lower case; IPv6 without brackets
  std::uint16_t port() const noexcept { return port_; }           ///< explicit, or the scheme's default
  /// Path and query, as sent in the request line ("/" when the URL has no path). No fragment.
  const std::string& target() const noexcept { return target_; }
  bool is_tls() const noexcept { return scheme_ == "https"; }
  /// The Host header's value: host, bracketed if IPv6, with ":port" unless it is the default.
  std::string host_header() const;
  /// The whole URL, normalized (fragment dropped).
  const std::string& str() const noexcept { return text_; }
  /// Same scheme, host and port (redirects to another origin drop credentials).
  bool same_origin(const url& other) const noexcept;

private:
  std::string text_, scheme_, host_, target_;
  std::uint16_t port_ = 0;
};

} // namespace libactor::http
