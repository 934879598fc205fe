#pragma once
/// @file open_connection.hpp
/// `open_connection`: a TCP client connection (asyncio.open_connection).
///
/// Resolves `host` asynchronously (a name or a numeric address), connects to the first address
/// that accepts, and returns the connected stream. The socket lives on the calling job's I/O
/// thread when the job is homed on one (spawn_options::home), otherwise on the next I/O thread.
///
/// @code
/// auto s = co_await la::open_connection("127.0.0.1", 8888, {.timeout = 5s});
/// @endcode

#include <chrono>
#include <cstdint>
#include <string>

#include <libactor/job.hpp>
#include <libactor/stream.hpp>

namespace libactor {

/// How to connect. Trivially copyable on purpose (docs/coding-style.md, pitfall 2).
struct connect_options {
  /// Bound on resolving plus connecting; 0 means none (enclosing deadline scopes still apply).
  /// Exceeding it throws timeout_error.
  std::chrono::milliseconds timeout{30'000};
  stream_options stream;
};

/// Connects to `host`:`port`. Throws connection_error when the name does not resolve or no address
/// accepts (the last address's error), timeout_error when `options.timeout` passes first, and
/// `cancelled` when the job is cancelled meanwhile; in every case nothing stays open.
job<stream> open_connection(std::string host, std::uint16_t port, connect_options options = {});

} // namespace libactor
