#include "stream_core.hpp"

#include <cerrno>
#include <sys/socket.h>

#include <boost/asio/socket_base.hpp>

namespace libactor::detail {

namespace {
std::int64_t steady_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
    .count();
}
} // namespace

stream_core::stream_core(io_thread& io, boost::asio::ip::tcp::socket socket, const stream_options& options)
  : io_(io), socket_(std::move(socket)), fd_(socket_.native_handle()), options_(options), last_activity_(steady_ns()) {
  // Asio's own non-blocking mode, so its reactor never blocks on this socket either. The job's
  // recv/send calls pass MSG_DONTWAIT themselves.
  socket_.non_blocking(true);
  boost::system::error_code ignored;
  socket_.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
}

stream_core::~stream_core() = default;

std::chrono::steady_clock::time_point stream_core::last_activity() const noexcept {
  return std::chrono::steady_clock::time_point{
    std::chrono::nanoseconds{last_activity_.load(std::memory_order_relaxed)}};
}

void stream_core::touch() noexcept { last_activity_.store(steady_ns(), std::memory_order_relaxed); }

// -- reading -----------------------------------------------------------------------------------

void stream_core::wait_readable(wake_ticket waiter) {
  reader_ = std::move(waiter);
  if (closed_ || draining()) {
    wake_reader();
    return;
  }
  if (read_armed_)
    return;  // an earlier wait (of a read that was cancelled) is still armed: it wakes this one
  read_armed_ = true;
  socket_.async_wait(boost::asio::socket_base::wait_read,
                     [self = shared_from_this()](const boost::system::error_code&) {
                       self->read_armed_ = false;
                       self->wake_reader();  // also on errors and on close: the reader's recv tells
                     });
}

void stream_core::wake_reader() {
  if (reader_.job)
    unpark(std::exchange(reader_, {}));
}

void stream_core::begin_drain() {
  draining_.store(true, std::memory_order_release);
  wake_reader();
}

// -- writing -----------------------------------------------------------------------------------

void stream_core::write(const char* data, std::size_t size, bool counted) {
  if (closed_ || write_error() != 0) {
    if (counted)
      pending_out_.fetch_sub(size, std::memory_order_acq_rel);
    return;  // the writer sees write_error() (or has closed the stream itself)
  }
  if (out_head_ == out_.size() && !write_armed_) {
    // Nothing queued: hand the bytes to the kernel now, as Asio's speculative write would.
    auto n = ::send(fd_, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      if (counted)
        pending_out_.fetch_sub(size, std::memory_order_acq_rel);
      fail_write(errno);
      return;
    }
    auto sent = static_cast<std::size_t>(n > 0 ? n : 0);
    if (counted)
      pending_out_.fetch_sub(sent, std::memory_order_acq_rel);
    data += sent;
    size -= sent;
    if (size == 0)
      return;
  }
  if (!counted)
    pending_out_.fetch_add(size, std::memory_order_acq_rel);
  out_.insert(out_.end(), data, data + size);
  arm_write();
}

void stream_core::arm_write() {
  if (write_armed_ || closed_)
    return;
  write_armed_ = true;
  socket_.async_wait(boost::asio::socket_base::wait_write, [self = shared_from_this()](const boost::system::error_code& ec) {
    self->write_armed_ = false;
    if (!ec)
      self->send_queued();
  });
}

void stream_core::send_queued() {
  while (out_head_ < out_.size() && !closed_) {
    auto n = ::send(fd_, out_.data() + out_head_, out_.size() - out_head_, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        arm_write();
        break;
      }
      fail_write(errno);
      return;
    }
    out_head_ += static_cast<std::size_t>(n);
    pending_out_.fetch_sub(static_cast<std::size_t>(n), std::memory_order_acq_rel);
    touch();
  }
  if (out_head_ == out_.size()) {
    out_head_ = 0;
    out_.clear();
    if (out_.capacity() > 4 * options_.high_water)
      out_.shrink_to_fit();  // a burst should not pin its peak for the connection's lifetime
  } else if (out_head_ > out_.size() / 2) {
    out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(out_head_));
    out_head_ = 0;
  }
  notify_output();
}

void stream_core::fail_write(int err) {
  write_errno_.store(err, std::memory_order_release);
  pending_out_.fetch_sub(out_.size() - out_head_, std::memory_order_acq_rel);
  out_.clear();
  out_.shrink_to_fit();
  out_head_ = 0;
  notify_output();
  wake_reader();  // a reader learns of the failure from its own recv
}

void stream_core::wait_output(std::size_t target, wake_ticket waiter) {
  output_waiter_ = std::move(waiter);
  output_target_ = target;
  notify_output();
}

void stream_core::notify_output() {
  if (output_waiter_.job && (pending_output() <= output_target_ || write_error() != 0 || closed_))
    unpark(std::exchange(output_waiter_, {}));
}

void stream_core::shutdown_send() {
  if (closed_)
    return;
  boost::system::error_code ignored;
  socket_.shutdown(boost::asio::socket_base::shutdown_send, ignored);
}

void stream_core::close() {
  if (closed_)
    return;
  closed_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);  // cancels the armed waits; their handlers run with operation_aborted
  pending_out_.fetch_sub(out_.size() - out_head_, std::memory_order_acq_rel);
  out_.clear();
  out_.shrink_to_fit();
  out_head_ = 0;
  wake_reader();
  notify_output();
}

std::shared_ptr<stream_core> make_stream_core(io_thread& io, boost::asio::ip::tcp::socket socket,
                                              const stream_options& options) {
  boost::system::error_code ec;
  auto local = socket.local_endpoint(ec);
  auto remote = socket.remote_endpoint(ec);
  auto core = std::make_shared<stream_core>(io, std::move(socket), options);
  core->local_address = local.address().to_string();
  core->local_port = local.port();
  core->remote_address = remote.address().to_string();
  core->remote_port = remote.port();
  return core;
}

} // namespace libactor::detail
