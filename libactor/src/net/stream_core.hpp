#pragma once
// stream_core: the shared state behind a stream (stream.hpp), split between the job that owns the
// stream and the I/O thread that owns the socket.
//
// Reading is readiness-based, like asyncio's selector loop: the job calls recv() itself, without
// blocking (MSG_DONTWAIT) — on the I/O thread for a job homed there, else on its worker — and only
// when the kernel has nothing (or the last read was short) does it park and ask the I/O thread to
// wake it when the socket becomes readable (an Asio async_wait, which touches no buffer). Writing sends at once when nothing is
// queued; what the kernel does not take is copied into the core's output buffer, which the I/O thread
// sends as the socket becomes writable. So Asio never holds a pointer into a job's memory, and an
// interrupted read or write leaves nothing behind that could be lost or written later.
//
// Ownership: fields marked [io] are touched only on the I/O thread (inline when the caller runs
// there, otherwise through a posted handler); [job] fields only by the job using the stream; the
// atomics by both. Handlers hold a shared_ptr, so the core outlives every operation in flight.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include <libactor/detail/parking.hpp>
#include <libactor/stream.hpp>

#include "../io_threads.hpp"

namespace libactor::detail {

class stream_core : public std::enable_shared_from_this<stream_core> {
public:
  stream_core(io_thread& io, boost::asio::ip::tcp::socket socket, const stream_options& options);
  ~stream_core();
  stream_core(const stream_core&) = delete;
  stream_core& operator=(const stream_core&) = delete;

  int fd() const noexcept { return fd_; }
  const stream_options& options() const noexcept { return options_; }
  bool on_io_thread() const noexcept { return io_.running_here(); }
  /// Runs `fn` on the I/O thread: right now when the caller is there, else posted (in order).
  template <class Fn>
  void on_io(Fn&& fn) {
    if (on_io_thread())
      fn();
    else
      boost::asio::post(io_.context(), std::forward<Fn>(fn));
  }

  // -- [io] operations -------------------------------------------------------------------------
  /// Wakes `waiter` when the socket is readable (or the stream drains or closes). Race-free even
  /// when the caller's recv() ran on another thread: Asio arms a wait with EPOLL_CTL_MOD, which
  /// reports a socket that is already readable at once.
  void wait_readable(wake_ticket waiter);
  /// Sends what the kernel takes of [data, data + size) and queues the rest (`counted`: the bytes
  /// are already included in pending_output).
  void write(const char* data, std::size_t size, bool counted);
  /// Wakes `waiter` once at most `target` bytes are queued, or the connection has failed.
  void wait_output(std::size_t target, wake_ticket waiter);
  void shutdown_send();
  /// Closes the socket (idempotent); queued output is dropped, waiters are woken.
  void close();
  /// Server shutdown: reads that would wait see end of stream instead, and a waiting read wakes.
  void begin_drain();
  /// Reads wait for data again (the server's lingering close reads the peer's input to its end).
  void end_drain() noexcept { draining_.store(false, std::memory_order_release); }

  // -- shared ----------------------------------------------------------------------------------
  std::size_t pending_output() const noexcept { return pending_out_.load(std::memory_order_acquire); }
  /// errno of the failure that ended sending (EPIPE, ECONNRESET...), or 0.
  int write_error() const noexcept { return write_errno_.load(std::memory_order_acquire); }
  bool draining() const noexcept { return draining_.load(std::memory_order_acquire); }
  /// The last time the stream moved data (steady clock), for idle timeouts.
  std::chrono::steady_clock::time_point last_activity() const noexcept;
  void touch() noexcept;
  void count_pending(std::size_t n) noexcept { pending_out_.fetch_add(n, std::memory_order_acq_rel); }

  // -- [job] -----------------------------------------------------------------------------------
  /// Set once by stream::abort/close (before the socket is closed on the I/O thread): operations
  /// check it, so a job still blocked on the stream never touches the descriptor after the close.
  std::atomic<bool> aborted{false};
  std::atomic<bool> reading{false};  // a read is in progress (a second concurrent one is misuse)
  std::atomic<bool> writing{false};
  unsigned ready_streak = 0;         // reads in a row that did not suspend (fairness, stream.cpp)
  bool drained = false;              // the last read was short: the kernel had no more
  std::string local_address, remote_address;
  std::uint16_t local_port = 0, remote_port = 0;

private:
  void send_queued();
  void arm_write();
  void fail_write(int err);
  void notify_output();
  void wake_reader();

  io_thread& io_;
  boost::asio::ip::tcp::socket socket_;
  const int fd_;
  const stream_options options_;
  std::atomic<std::size_t> pending_out_{0};
  std::atomic<int> write_errno_{0};
  std::atomic<bool> draining_{false};
  std::atomic<std::int64_t> last_activity_;
  // [io]
  std::vector<char> out_;
  std::size_t out_head_ = 0;
  bool read_armed_ = false;
  bool write_armed_ = false;
  bool closed_ = false;
  wake_ticket reader_;
  wake_ticket output_waiter_;
  std::size_t output_target_ = 0;
};

/// Wraps a freshly connected socket (on `io`) in a core, with its addresses filled in.
std::shared_ptr<stream_core> make_stream_core(io_thread& io, boost::asio::ip::tcp::socket socket,
                                              const stream_options& options);

} // namespace libactor::detail
