#pragma once
/// @file http/request.hpp
/// `http::request`: what to send — method, URL, header fields, body — and per-request settings.

#include <optional>
#include <string>

#include <libactor/http/headers.hpp>
#include <libactor/http/options.hpp>

namespace libactor::http {

/// One request. Built with setters that return *this:
/// @code
/// auto req = http::request("POST", "http://127.0.0.1:8080/items").header("X-Trace", "1").body(json, "application/json");
/// auto resp = co_await session.send(std::move(req));
/// @endcode
class request {
public:
  /// `method` is sent as given (upper case by convention); `url` is parsed when the request is sent.
  request(std::string method, std::string url) : method_(std::move(method)), url_(std::move(url)) {}

  /// Adds a header field. Host, Content-Length, Transfer-Encoding and Connection are the
  /// client's to set; adding them is a usage_error when the request is sent.
  request& header(std::string_view name, std::string_view value) { headers_.add(name, value); return *this; }
  /// Sets the body, sent with Content-Length, and its Content-Type (when not empty).
  request& body(std::string data, std::string_view content_type = "application/octet-stream");
  /// Overrides the session's timeouts for this request.
  request& timeouts(http::timeouts t) { timeouts_ = t; return *this; }
  /// Overrides the session's redirect limit (0: do not follow).
  request& max_redirects(unsigned n) { max_redirects_ = n; return *this; }
  /// Overrides the session's retry policy.
  request& retry(retry_policy p) { retry_ = p; return *this; }
  /// Declares a request idempotent (or not) whatever its method, for retries.
  request& idempotent(bool yes) { idempotent_ = yes; return *this; }

  const std::string& method() const noexcept { return method_; }
  const std::string& url() const noexcept { return url_; }
  const http::headers& headers() const noexcept { return headers_; }
  const std::string& body() const noexcept { return body_; }
  /// GET, HEAD, OPTIONS, TRACE, PUT and DELETE are, unless idempotent() said otherwise.
  bool is_idempotent() const noexcept;
  const std::optional<http::timeouts>& timeouts() const noexcept { return timeouts_; }
  const std::optional<unsigned>& max_redirects() const noexcept { return max_redirects_; }
  const std::optional<retry_policy>& retry() const noexcept { return retry_; }

private:
  friend class session;
  std::string method_, url_;
  http::headers headers_;
  std::string body_;
  std::optional<http::timeouts> timeouts_;
  std::optional<unsigned> max_redirects_;
  std::optional<retry_policy> retry_;
  std::optional<bool> idempotent_;
};

} // namespace libactor::http
