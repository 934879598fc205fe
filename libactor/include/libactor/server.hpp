#pragma once
/// @file server.hpp
/// TCP servers (asyncio.start_server / serve_forever): every accepted connection becomes its own
/// job — an actor — that runs `handler(stream)`.
///
/// - Connection jobs run on the I/O thread that owns their socket (serve_options::handlers), spread
///   round-robin over the I/O threads; the accept loop runs on an I/O thread too.
/// - When the handler returns, the server closes the stream gracefully, within `close_timeout`:
///   queued output is sent, the stream is half-closed, and the peer's remaining input is read until
///   its end of stream (a lingering close: closing with unread input would make the kernel reset the
///   connection and drop output the peer is owed). An exception from the handler is logged and
///   counted, and ends only that connection.
/// - Beyond `max_connections` open connections, new ones are accepted and closed at once (counted
///   as rejected), so a flood cannot exhaust file descriptors or memory.
/// - `idle_timeout` cancels a connection job whose stream has moved no data for that long.
/// - `shutdown(grace)`: stops accepting; connections finish what they have received — their reads
///   see end of stream once the data that had arrived is read — and are cancelled when `grace` passes.
///
/// @code
/// la::job<void> echo(la::stream& s) {
///   std::array<std::byte, 4096> buf;
///   while (auto n = co_await s.read_some(buf))
///     co_await s.write(std::span{buf}.first(n));
/// }
/// co_await la::serve("127.0.0.1", 8888, echo);
/// @endcode

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <libactor/job.hpp>
#include <libactor/spawn.hpp>
#include <libactor/stream.hpp>

namespace libactor {

namespace detail {
class server_state;
}

/// Runs one connection; the stream stays valid until the returned job ends.
using connection_handler = std::function<job<void>(stream&)>;

/// How to serve. Trivially copyable on purpose (docs/coding-style.md, pitfall 2).
struct serve_options {
  /// Open connections beyond which new ones are accepted and closed at once.
  std::size_t max_connections = 10'000;
  /// A connection whose stream moved no data for this long is cancelled; 0 means never.
  std::chrono::milliseconds idle_timeout{0};
  /// How long the server's close after a handler returns may spend sending queued output.
  std::chrono::milliseconds close_timeout{5'000};
  /// serve()'s grace period for in-flight connections when it is cancelled.
  std::chrono::milliseconds shutdown_timeout{5'000};
  /// The listen backlog (the kernel caps it at net.core.somaxconn).
  int backlog = 4096;
  /// Settings of every connection's stream.
  stream_options stream;
  /// Where connection jobs run: on their socket's I/O thread (default; no cross-thread wake-up per
  /// read) or on CAF's workers (for comparison, or for handlers that compute a lot).
  job_home handlers = job_home::io_thread;
};

/// A listening server. Movable; destroying it stops accepting and cancels its connections.
class server {
public:
  /// Counters since start.
  struct statistics {
    std::uint64_t accepted = 0;     ///< connections handed to a handler
    std::uint64_t rejected = 0;     ///< closed at once: max_connections was reached
    std::uint64_t idle_closed = 0;  ///< cancelled by the idle timeout
    std::uint64_t reset = 0;        ///< ended by a network error (the peer reset the connection)
    std::uint64_t failed = 0;       ///< handlers that ended with another exception (a bug)
    std::size_t active = 0;         ///< connections open now
  };

  server(server&&) noexcept;
  server& operator=(server&&) noexcept;
  ~server();

  /// The bound address and port (the chosen one when started with port 0).
  std::string address() const;
  std::uint16_t port() const;
  statistics stats() const;

  /// Waits until the server is closed (asyncio's serve_forever). Cancelling it closes the server;
  /// open connections go on (see shutdown).
  job<void> serve_forever();
  /// Stops accepting: the listening socket is closed. Open connections go on.
  void close();
  /// Stops accepting, lets open connections finish what they have received (reads see end of
  /// stream once it is read), cancels those still open after `grace`, and returns when all ended and the
  /// listening socket is closed.
  job<void> shutdown(std::chrono::milliseconds grace);

  /// libactor's own (start_server).
  explicit server(std::shared_ptr<detail::server_state> state) noexcept;

private:
  std::shared_ptr<detail::server_state> state_;
};

/// Binds `host`:`port` (port 0 picks a free one) and starts accepting; each connection runs
/// `handler` in its own job. Throws connection_error when the address cannot be bound (e.g. in use).
job<server> start_server(connection_handler handler, std::string host, std::uint16_t port, serve_options options = {});

/// start_server, then serve_forever; when cancelled, shuts down with `options.shutdown_timeout`.
job<void> serve(std::string host, std::uint16_t port, connection_handler handler, serve_options options = {});

} // namespace libactor
