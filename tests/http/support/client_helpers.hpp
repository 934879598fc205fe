#pragma once
// Small jobs the HTTP client tests share: fetching a body, catching the http::error a fetch ends
// with, reading nginx's /conn answer, and watching the pool's open count while requests run.
// (Coroutines here take parameters instead of capturing: see docs/coding-style.md.)

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include <libactor/http/session.hpp>
#include <libactor/libactor.hpp>

namespace http_test {

namespace la = libactor;
namespace http = libactor::http;

/// GETs `url` and reads its whole body.
inline la::job<std::string> fetch_body(http::session& s, std::string url) {
  auto resp = co_await s.get(std::move(url));
  co_return co_await resp.body();
}

/// Sends `req` and reads its whole body.
inline la::job<std::string> send_for_body(http::session& s, http::request req) {
  auto resp = co_await s.send(std::move(req));
  co_return co_await resp.body();
}

/// Awaits `j`: the http::error it failed with, or nothing when it succeeded. Any other exception
/// escapes (and fails the test with its message).
template <class T>
la::job<std::optional<http::error>> http_failure(la::job<T> j) {
  std::optional<http::error> caught;
  try {
    co_await std::move(j);
  } catch (const http::error& e) {
    caught.emplace(e);
  }
  co_return caught;
}

/// Awaits `j`: the what() of any exception it failed with, or nothing when it succeeded.
template <class T>
la::job<std::optional<std::string>> failure_message(la::job<T> j) {
  std::optional<std::string> message;
  try {
    co_await std::move(j);
  } catch (const std::exception& e) {
    message = e.what();
  }
  co_return message;
}

/// "kind: message" of a caught error, or "no error", for assertion messages.
inline std::string describe(const std::optional<http::error>& e) {
  if (!e)
    return "no error";
  return std::string(http::to_string(e->kind())) + ": " + e->what();
}

/// nginx's answer at /conn: the server's serial number of the connection and how many requests it
/// has carried (`$connection $connection_requests`).
struct conn_info {
  long connection = -1, requests = -1;
};
inline conn_info parse_conn(const std::string& body) {
  conn_info info;
  std::istringstream(body) >> info.connection >> info.requests;
  return info;
}

/// Samples `s.stats().open` between every turn of the other jobs until `stop` is set; the largest
/// value seen. Runs beside requests that must never hold more connections than a limit allows.
inline la::job<std::size_t> max_open_until(const http::session& s, const std::atomic<bool>& stop) {
  std::size_t most = 0;
  for (;;) {
    most = std::max(most, s.stats().open);
    if (stop)
      break;
    co_await la::yield();
  }
  co_return most;
}

} // namespace http_test
