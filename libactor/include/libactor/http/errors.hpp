#pragma once
/// @file http/errors.hpp
/// `http::error`: every failure of an HTTP fetch, with its kind (aiohttp's ClientError family).

#include <iosfwd>
#include <string>

#include <libactor/errors.hpp>

namespace libactor::http {

/// What went wrong; `error::kind()`.
enum class errc {
  invalid_url,         ///< not an absolute http(s) URL (also a bad Location in a redirect)
  connect,             ///< name resolution or TCP connect failed (refused, unreachable...)
  tls,                 ///< TLS handshake failed, or the certificate did not verify
  timeout,             ///< the connect, read or total timeout passed
  protocol,            ///< the server broke HTTP: bad status line, header, chunk size, encoding
  disconnected,        ///< the connection closed or reset before the response was complete
  too_many_redirects,  ///< more redirects than allowed (loops included); history() has them
  too_large,           ///< the headers or the (decoded) body exceeded their limit
  status,              ///< raise_for_status() on a 4xx or 5xx response
  closed,              ///< the session was closed
};

/// A short lower-case name of `kind` ("timeout", "protocol"...), as libactor-fetch prints it.
const char* to_string(errc kind) noexcept;
/// Writes to_string(kind).
std::ostream& operator<<(std::ostream& out, errc kind);

/// An HTTP fetch failed. what() says what, for which URL; kind() says which kind of failure.
class error : public libactor::error {
public:
  error(errc kind, const std::string& message) : libactor::error(message), kind_(kind) {}
  errc kind() const noexcept { return kind_; }

private:
  errc kind_;
};

} // namespace libactor::http
