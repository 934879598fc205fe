#pragma once
/// @file http/options.hpp
/// Timeouts, retries and the session's settings (aiohttp's ClientTimeout, TCPConnector, ClientSession
/// arguments). A duration of zero means "no limit".

#include <chrono>
#include <cstddef>
#include <string>

#include <libactor/time.hpp>

namespace libactor::http {

using namespace std::chrono_literals;

/// How long a fetch may take. Every timeout raises http::error with errc::timeout.
struct timeouts {
  /// The whole fetch: connecting, every redirect, and reading the body (also when it is streamed).
  clock::duration total = 300s;
  /// Getting a connection: waiting for a pooled one when the limits are reached, resolving,
  /// connecting and the TLS handshake.
  clock::duration connect = 30s;
  /// Each read from the server: a response that stops sending for this long fails.
  clock::duration read = 60s;
};

/// Opt-in retries of idempotent requests (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) with exponential
/// backoff. Retried: connect failures, timeouts of a single attempt, disconnections, and the
/// statuses 429, 502, 503 and 504. Never retried: TLS and protocol errors, oversize responses.
struct retry_policy {
  unsigned attempts = 0;                         ///< retries after the first try (0: none)
  clock::duration initial_backoff = 100ms;       ///< wait before the first retry
  double multiplier = 2.0;                       ///< each wait is this many times the previous one
  clock::duration max_backoff = 10s;             ///< no wait is longer
  bool jitter = true;                            ///< waits are drawn uniformly from [0, backoff] ("full jitter")
};

/// A session's connection pool and defaults.
struct session_options {
  /// Connections open at once, in use or idle (0: unlimited). A request waits (within the connect
  /// timeout) for one when all are in use; an idle connection to another host is closed to make room.
  std::size_t limit = 100;
  /// Connections open at once to one scheme://host:port (0: unlimited).
  std::size_t limit_per_host = 0;
  /// An idle kept-alive connection is closed after this long unused.
  clock::duration keepalive_timeout = 15s;
  http::timeouts timeouts;
  retry_policy retry;
  /// Redirects followed per fetch (0: none are followed; the 3xx response is returned).
  unsigned max_redirects = 10;
  /// The largest response body, after decompression; more raises errc::too_large.
  std::size_t max_body_size = 256 * 1024 * 1024;
  /// The largest status line plus header block; more raises errc::too_large.
  std::size_t max_header_size = 64 * 1024;
  /// Ask for gzip/deflate and decode it (the body is handed out decoded).
  bool decompress = true;
  /// Verify the server's certificate chain and host name (https).
  bool verify_tls = true;
  /// PEM file of the certificate authorities to trust; empty: the system's (ca-certificates).
  std::string ca_file;
};

} // namespace libactor::http
