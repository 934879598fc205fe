#pragma once
/// @file stream.hpp
/// `stream`: a TCP connection as a job sees it (asyncio's StreamReader and StreamWriter in one).
///
/// Reading waits for data; writing queues bytes and waits while too many are queued — backpressure
/// is built into `write`, there is no `drain()` to forget. Every operation is a suspension point:
/// cancellation and deadline scopes (deadline.hpp) apply, and an interrupted operation loses no
/// data (what it had not read stays in the stream; what `write` had accepted is still sent).
///
/// The socket lives on an I/O thread (run.hpp, `io_threads`); the kernel's socket buffers are the
/// only buffers Asio ever fills or drains for a stream, so a job's own buffers are never touched
/// once the job has moved on. A stream is used by one job at a time: one reader and one writer
/// (which may be two jobs); a second concurrent read or write is a usage_error.
///
/// @code
/// auto s = co_await la::open_connection("127.0.0.1", 8888);
/// co_await s.write("hello\n");
/// std::string line = co_await s.read_until("\n");
/// co_await s.close();
/// @endcode

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <libactor/job.hpp>

namespace libactor {

namespace detail {
class stream_core;
}

/// Per-stream settings.
struct stream_options {
  /// `write` waits while more than this many bytes are queued for sending (not yet taken by the
  /// kernel); it bounds the memory a slow peer can make a writer hold.
  std::size_t high_water = 64 * 1024;
  /// A waiting `write` resumes once at most this many bytes are queued (0 ≤ low_water ≤ high_water).
  std::size_t low_water = 16 * 1024;
};

class stream {
public:
  /// A closed stream.
  stream() noexcept = default;
  stream(stream&&) noexcept = default;
  /// Aborts the stream this one held, then takes `other`'s.
  stream& operator=(stream&& other) noexcept;
  /// Aborts the connection if it is still open: closes at once, discarding output not yet sent.
  /// Call close() first to send everything.
  ~stream();

  /// False once closed, aborted or moved from.
  bool is_open() const noexcept;

  // -- reading -------------------------------------------------------------------------------
  /// Reads what is available, at most `buffer.size()` bytes, waiting until something is. Returns
  /// 0 at end of stream (the peer closed or half-closed). Throws connection_error on a reset.
  job<std::size_t> read_some(std::span<std::byte> buffer);
  /// As above into a new string of at most `max` bytes; empty at end of stream (asyncio's read(n)).
  job<std::string> read_some(std::size_t max = 64 * 1024);
  /// Fills `buffer` completely; throws incomplete_read if the stream ends first. If interrupted
  /// (cancellation, deadline), the bytes read so far stay in the stream for the next read.
  job<void> read_exactly(std::span<std::byte> buffer);
  /// Reads exactly `n` bytes; throws incomplete_read if the stream ends first.
  job<std::string> read_exactly(std::size_t n);
  /// Reads up to and including `delimiter` (asyncio's readuntil). Throws limit_overrun when no
  /// delimiter ends within `max` bytes (the data stays readable), incomplete_read at end of stream.
  job<std::string> read_until(std::string_view delimiter, std::size_t max = 64 * 1024);

  // -- writing -------------------------------------------------------------------------------
  /// Queues `data` for sending (the bytes are copied or sent at once) and waits while more than
  /// `high_water` bytes are queued. Throws connection_error once the connection has failed.
  job<void> write(std::span<const std::byte> data);
  job<void> write(std::string_view data);
  /// Waits until every queued byte has been handed to the kernel.
  job<void> flush();
  /// Sends what is queued, then half-closes: the peer reads end of stream, and this side can still read.
  job<void> shutdown_send();
  /// Sends what is queued and closes. If the connection failed meanwhile, closes and throws
  /// connection_error; if cancelled while sending, closes at once and raises `cancelled`.
  job<void> close();
  /// Closes at once; queued output is discarded. Never throws. A job blocked reading or writing
  /// this stream (another one: a stream may have a reader and a writer job) wakes with
  /// connection_error (ECONNABORTED).
  void abort() noexcept;
  /// Bytes queued by `write` and not yet handed to the kernel.
  std::size_t pending_output() const noexcept;

  // -- addresses -----------------------------------------------------------------------------
  std::string local_address() const;
  std::uint16_t local_port() const;
  std::string remote_address() const;
  std::uint16_t remote_port() const;

  /// libactor's own: wraps a connected socket core (server.hpp, open_connection.hpp).
  explicit stream(std::shared_ptr<detail::stream_core> core) noexcept;
  const std::shared_ptr<detail::stream_core>& core() const noexcept { return core_; }

private:
  detail::stream_core& require(const char* operation) const;
  /// Moves up to `out.size()` bytes of read-ahead into `out`; returns how many.
  std::size_t take_buffered(std::span<std::byte> out) noexcept;
  /// One read into `buffer` — from the read-ahead if `from_buffered` and it holds data, else from
  /// the socket (waiting until something arrives); 0 at end of stream.
  job<std::size_t> receive(std::span<std::byte> buffer, bool from_buffered);
  /// Appends what one receive brings to the read-ahead; false at end of stream.
  job<bool> read_more(std::size_t hint);
  /// Reads ahead until at least `n` bytes are buffered; incomplete_read (consuming them) at end of stream.
  job<void> fill_buffer(std::size_t n);

  std::shared_ptr<detail::stream_core> core_;
  std::string buffered_;  // read ahead by read_until / read_exactly and not consumed yet
};

} // namespace libactor
