#pragma once
/// @file http/session.hpp
/// `http::session`: an HTTP/1.1 client with a connection pool (aiohttp's ClientSession).
///
/// A session keeps connections alive and reuses them, within a total and a per-host limit; follows
/// redirects; applies connect, read and total timeouts; decodes gzip and deflate; speaks TLS with
/// certificate verification and SNI; and retries idempotent requests when asked to. One session
/// is meant to be shared: any number of jobs may send through it at once.
///
/// Cancellation: a job cancelled mid-request (or cut by a deadline scope) leaves the pool
/// consistent — the connection it was using is closed, never reused half-read, and its slot is free.
///
/// Lifetime: connections live on the runtime's I/O threads, so a session (and its responses) must
/// be destroyed while the runtime runs — declare it in a job, as `async with ClientSession()` would.
///
/// @code
/// la::http::session s;
/// auto resp = co_await s.get("http://127.0.0.1:8080/");
/// std::string page = co_await resp.body();
/// co_await s.close();
/// @endcode

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <libactor/http/errors.hpp>
#include <libactor/http/options.hpp>
#include <libactor/http/request.hpp>
#include <libactor/http/response.hpp>
#include <libactor/job.hpp>

namespace libactor::http {

namespace detail {
class pool;
}

/// The pool's counters (session::stats()).
struct pool_stats {
  std::size_t open = 0;      ///< connections open now (in use + idle)
  std::size_t idle = 0;      ///< open and waiting in the pool
  std::uint64_t opened = 0;  ///< connections ever opened
  std::uint64_t reused = 0;  ///< requests sent on a kept-alive connection
  std::uint64_t stale = 0;   ///< kept-alive connections found closed by the server (request retried)
};

class session {
public:
  /// A session with `options`. Needs no running runtime until the first request.
  explicit session(session_options options = {});
  session(session&&) noexcept;
  session& operator=(session&&) noexcept;
  /// Closes the idle connections; those in use close when their responses are released.
  ~session();

  /// Sends `req` and returns the response once its head has arrived (following redirects).
  /// Throws http::error; a 4xx or 5xx status is not an error unless raise_for_status() says so.
  job<response> send(request req);
  /// send(request("GET", url)).
  job<response> get(std::string url);
  /// Closes every idle connection and refuses new requests (errc::closed). Idempotent.
  job<void> close();

  const session_options& options() const noexcept;
  pool_stats stats() const noexcept;

private:
  std::shared_ptr<detail::pool> pool_;
};

} // namespace libactor::http
