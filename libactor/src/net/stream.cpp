// stream (stream.hpp): the job side of a connection. See stream_core.hpp for the protocol.

#include <libactor/stream.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/socket.h>

#include <libactor/errors.hpp>
#include <libactor/time.hpp>

#include "stream_core.hpp"

namespace libactor {

namespace {

using detail::stream_core;

/// Reads that complete without suspending before one yields (fairness on a busy connection).
constexpr unsigned ready_streak_limit = 32;

/// Parks the job until the core wakes it; `ask` tells the core (on its I/O thread) when to.
template <class Ask>
class core_wait {
public:
  core_wait(stream_core& core, Ask ask) noexcept : core_(core), ask_(std::move(ask)) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    self_ = &detail::require_job("a stream operation");
    if (detail::suspend_if_cancelled(*self_, h))
      return;
    detail::park(*self_, h, ticket_);
    core_.on_io([core = core_.shared_from_this(), ticket = ticket_, ask = ask_]() mutable { ask(*core, std::move(ticket)); });
  }
  void await_resume() { detail::end_wait(*self_); }

private:
  stream_core& core_;
  Ask ask_;
  detail::job_actor* self_ = nullptr;
  detail::wake_ticket ticket_;
};

struct ask_readable {
  void operator()(stream_core& c, detail::wake_ticket t) const { c.wait_readable(std::move(t)); }
};
struct ask_output_below {
  std::size_t target;
  void operator()(stream_core& c, detail::wake_ticket t) const { c.wait_output(target, std::move(t)); }
};

/// Marks one operation kind (read or write) busy for its duration; a second one is misuse.
class exclusive {
public:
  exclusive(std::atomic<bool>& flag, const char* what) : flag_(flag) {
    if (flag_.exchange(true, std::memory_order_acquire))
      throw usage_error(std::string("libactor: ") + what + " while another job is already doing so on the same stream");
  }
  ~exclusive() { flag_.store(false, std::memory_order_release); }
  exclusive(const exclusive&) = delete;
  exclusive& operator=(const exclusive&) = delete;

private:
  std::atomic<bool>& flag_;
};

[[noreturn]] void throw_errno(int err, const stream_core& c, const char* what) {
  throw connection_error(std::error_code(err, std::generic_category()),
                         std::string("libactor: ") + what + " " + c.remote_address + ":" + std::to_string(c.remote_port));
}

} // namespace

stream::stream(std::shared_ptr<detail::stream_core> core) noexcept : core_(std::move(core)) {}

stream& stream::operator=(stream&& other) noexcept {
  if (this != &other) {
    abort();
    core_ = std::move(other.core_);  // only the owner moves or destroys a stream
    buffered_ = std::move(other.buffered_);
  }
  return *this;
}

stream::~stream() { abort(); }

detail::stream_core& stream::require(const char* operation) const {
  if (core_ == nullptr || core_->aborted.load(std::memory_order_acquire))
    throw usage_error(std::string("libactor: stream::") + operation + " on a closed (or moved-from) stream");
  return *core_;
}

bool stream::is_open() const noexcept { return core_ != nullptr && !core_->aborted.load(std::memory_order_acquire); }

std::size_t stream::take_buffered(std::span<std::byte> out) noexcept {
  auto n = std::min(out.size(), buffered_.size());
  std::memcpy(out.data(), buffered_.data(), n);
  buffered_.erase(0, n);
  return n;
}

job<std::size_t> stream::read_some(std::span<std::byte> buffer) {
  return receive(buffer, true);  // not a coroutine itself: one frame per read on the hot path
}

job<std::size_t> stream::receive(std::span<std::byte> buffer, bool from_buffered) {
  auto& c = require("read");
  exclusive guard{c.reading, "reading"};
  if (buffer.empty())
    co_return 0;
  if (from_buffered && !buffered_.empty())
    co_return take_buffered(buffer);
  if (++c.ready_streak >= ready_streak_limit) {
    // Data kept coming without a wait: let the other jobs and sockets of this thread run. Before
    // the recv, so that a cancellation raised here takes no data with it.
    c.ready_streak = 0;
    co_await yield();
  }
  // After a short read the kernel's buffer was empty: wait for readiness before trying again, as
  // Asio does ("exhausted"), which saves a recv that would fail with EAGAIN on every request.
  bool try_now = !std::exchange(c.drained, false);
  for (;;) {
    if (try_now) {
      auto n = ::recv(c.fd(), buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n >= 0) {
        if (n > 0)
          c.touch();
        c.drained = n > 0 && static_cast<std::size_t>(n) < buffer.size();
        co_return static_cast<std::size_t>(n);
      }
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        throw_errno(errno, c, "read from");
      if (c.draining())
        co_return 0;  // the server is shutting down: what had arrived was read, the rest is end of stream
    }
    try_now = true;
    c.ready_streak = 0;
    co_await core_wait<ask_readable>(c, ask_readable{});
    if (c.aborted.load(std::memory_order_acquire))
      throw_errno(ECONNABORTED, c, "read from (the stream was closed meanwhile)");
  }
}

job<std::string> stream::read_some(std::size_t max) {
  std::string out(max, '\0');
  auto n = co_await read_some(std::as_writable_bytes(std::span{out}));
  out.resize(n);
  co_return out;
}

job<bool> stream::read_more(std::size_t hint) {
  // Straight into the read-ahead: bytes read stay there even if a later wait is interrupted.
  auto old = buffered_.size();
  auto chunk = std::clamp<std::size_t>(hint, 4096, 64 * 1024);
  buffered_.resize(old + chunk);
  std::size_t n = 0;
  try {
    n = co_await receive(std::as_writable_bytes(std::span{buffered_}.subspan(old)), false);
  } catch (...) {
    buffered_.resize(old);
    throw;
  }
  buffered_.resize(old + n);
  co_return n > 0;
}

job<void> stream::fill_buffer(std::size_t n) {
  while (buffered_.size() < n) {
    bool more = co_await read_more(n - buffered_.size());  // not in the loop's condition: pitfall 6
    if (!more)
      throw incomplete_read(std::exchange(buffered_, {}), n);
  }
}

job<void> stream::read_exactly(std::span<std::byte> buffer) {
  co_await fill_buffer(buffer.size());
  take_buffered(buffer);
}

job<std::string> stream::read_exactly(std::size_t n) {
  co_await fill_buffer(n);
  std::string out = buffered_.substr(0, n);
  buffered_.erase(0, n);
  co_return out;
}

job<std::string> stream::read_until(std::string_view delimiter, std::size_t max) {
  if (delimiter.empty())
    throw usage_error("libactor: stream::read_until with an empty delimiter");
  std::size_t scanned = 0;  // the delimiter does not start before this offset
  for (;;) {
    auto at = buffered_.find(delimiter, scanned);
    if (at != std::string::npos) {
      auto end = at + delimiter.size();
      if (end > max)
        throw limit_overrun("libactor: read_until: no delimiter within " + std::to_string(max) + " bytes");
      std::string line = buffered_.substr(0, end);
      buffered_.erase(0, end);
      co_return line;
    }
    if (buffered_.size() >= max)
      throw limit_overrun("libactor: read_until: no delimiter within " + std::to_string(max) + " bytes");
    scanned = buffered_.size() >= delimiter.size() ? buffered_.size() - delimiter.size() + 1 : 0;
    bool more = co_await read_more(max - buffered_.size());
    if (!more)
      throw incomplete_read(std::exchange(buffered_, {}), 0);
  }
}

job<void> stream::write(std::span<const std::byte> data) {
  auto& c = require("write");
  exclusive guard{c.writing, "writing"};
  if (int err = c.write_error())
    throw_errno(err, c, "write to");
  if (!data.empty()) {
    auto* bytes = reinterpret_cast<const char*>(data.data());
    if (c.on_io_thread()) {
      c.write(bytes, data.size(), false);
    } else {
      // Counted before posting, so that the high-water check below already sees these bytes.
      c.count_pending(data.size());
      c.on_io([core = core_, copy = std::vector<char>(bytes, bytes + data.size())] {
        core->write(copy.data(), copy.size(), true);
      });
    }
    c.touch();
  }
  if (c.pending_output() > c.options().high_water)
    co_await core_wait<ask_output_below>(c, ask_output_below{c.options().low_water});
  if (int err = c.write_error())
    throw_errno(err, c, "write to");
  if (c.aborted.load(std::memory_order_acquire))
    throw_errno(ECONNABORTED, c, "write to (the stream was closed meanwhile; queued output was dropped)");
}

job<void> stream::write(std::string_view data) { co_await write(std::as_bytes(std::span{data})); }

job<void> stream::flush() {
  auto& c = require("flush");
  exclusive guard{c.writing, "flushing"};
  if (c.pending_output() > 0 && c.write_error() == 0)
    co_await core_wait<ask_output_below>(c, ask_output_below{0});
  if (int err = c.write_error())
    throw_errno(err, c, "write to");
}

job<void> stream::shutdown_send() {
  co_await flush();
  require("shutdown_send").on_io([core = core_] { core->shutdown_send(); });
}

job<void> stream::close() {
  if (!is_open())
    co_return;
  std::exception_ptr failure;
  try {
    co_await flush();
  } catch (...) {
    failure = std::current_exception();  // a failed connection or a cancellation: close anyway
  }
  abort();
  if (failure)
    std::rethrow_exception(failure);
}

void stream::abort() noexcept {
  // Another job may be blocked reading or writing this stream: core_ itself is left alone (it is
  // only replaced by the owner's move or destruction); the flag tells the other operations.
  if (core_ == nullptr || core_->aborted.exchange(true, std::memory_order_acq_rel))
    return;
  try {
    core_->on_io([core = core_] { core->close(); });
  } catch (...) {
    // Posting allocates; without memory the socket closes when the last reference goes.
  }
}

std::size_t stream::pending_output() const noexcept { return core_ ? core_->pending_output() : 0; }
std::string stream::local_address() const { return require("local_address").local_address; }
std::uint16_t stream::local_port() const { return require("local_port").local_port; }
std::string stream::remote_address() const { return require("remote_address").remote_address; }
std::uint16_t stream::remote_port() const { return require("remote_port").remote_port; }

} // namespace libactor
