#pragma once
// Clients of the echo server written with plain POSIX sockets on 127.0.0.1, so the tests depend on
// nothing of libactor: well-behaved ones, and misbehaving ones (never reading, resetting). Every
// send and receive gives up after a timeout (30 s by default) and throws io_error, so a server that
// stops answering fails the test instead of hanging it. Also: the test data, and a place where
// client threads leave their failures for the test body (Boost.Test is not thread-safe).

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/time.h>
#include <thread>
#include <utility>
#include <unistd.h>
#include <vector>

namespace integration {

struct io_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// `size` bytes that differ per `id` and position (xorshift over the id), so an echo that mixes
/// up connections, or drops, repeats or shifts bytes, is caught.
inline std::string message(std::uint64_t id, std::size_t size) {
  std::string m;
  m.reserve(size);
  std::uint64_t x = (id + 1) * 0x9E3779B97F4A7C15ULL;
  while (m.size() < size) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    m.push_back(static_cast<char>(x));
  }
  return m;
}

/// Describes where `got` first differs from `expected` (empty when equal).
inline std::string first_difference(std::string_view expected, std::string_view got) {
  if (expected == got)
    return {};
  std::size_t i = 0;
  while (i < expected.size() && i < got.size() && expected[i] == got[i])
    ++i;
  return "expected " + std::to_string(expected.size()) + " bytes, got " + std::to_string(got.size()) +
         "; first difference at offset " + std::to_string(i);
}

struct client_options {
  std::chrono::seconds timeout{30};
  /// When > 0: fixed SO_SNDBUF and SO_RCVBUF (the kernel doubles them), which also turns off their
  /// autotuning, so the bytes the kernel can hold for this connection are known and small.
  int socket_buffer = 0;
};

/// A blocking TCP connection to 127.0.0.1:port.
class client {
public:
  explicit client(std::uint16_t port, client_options options = {}) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
      throw io_error(std::string("socket: ") + std::strerror(errno));
    timeval tv{static_cast<time_t>(options.timeout.count()), 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);  // bounds connect() too
    if (options.socket_buffer > 0) {
      setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &options.socket_buffer, sizeof options.socket_buffer);
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &options.socket_buffer, sizeof options.socket_buffer);
    }
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      auto e = errno;
      ::close(fd_);
      throw io_error(std::string("connect: ") + std::strerror(e));
    }
  }
  ~client() { close(); }
  client(client&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  client& operator=(client&& o) noexcept {
    if (this != &o) {
      close();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }

  int fd() const { return fd_; }

  void send_all(std::string_view data) {
    for (std::size_t off = 0; off < data.size();) {
      auto n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        throw io_error("send after " + std::to_string(off) + " of " + std::to_string(data.size()) +
                       " bytes: " + error_text(errno));
      off += static_cast<std::size_t>(n);
    }
  }

  /// One recv(): the bytes read (0 at end of stream); throws on an error or the timeout.
  std::size_t recv_some(char* buf, std::size_t size) {
    for (;;) {
      auto n = ::recv(fd_, buf, size, 0);
      if (n >= 0)
        return static_cast<std::size_t>(n);
      if (errno != EINTR)
        throw io_error("recv: " + error_text(errno));
    }
  }

  /// Exactly `size` bytes; throws when the stream ends first.
  std::string recv_exact(std::size_t size) {
    std::string data(size, '\0');
    for (std::size_t off = 0; off < size;) {
      auto n = recv_some(data.data() + off, size - off);
      if (n == 0)
        throw io_error("end of stream after " + std::to_string(off) + " of " + std::to_string(size) + " bytes");
      off += n;
    }
    return data;
  }

  /// Sends `m` and checks that exactly `m` comes back; throws (saying where it differs) if not.
  void expect_echo(std::string_view m) {
    send_all(m);
    auto back = recv_exact(m.size());
    if (back != m)
      throw io_error("wrong echo: " + first_difference(m, back));
  }

  /// How a stream ended, as read_to_end() saw it.
  struct ending {
    std::string data;  ///< everything read before the end
    int error = 0;     ///< 0: orderly end of stream (FIN); else the errno (ECONNRESET...)
  };
  /// Reads until the peer ends the stream (FIN or reset). Throws only on the timeout.
  ending read_to_end() {
    ending e;
    char buf[65536];
    for (;;) {
      auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        e.data.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0)
        return e;
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        throw io_error("the server did not end the stream before the timeout");
      e.error = errno;
      return e;
    }
  }

  void shutdown_send() { ::shutdown(fd_, SHUT_WR); }

  /// Closes with a TCP reset (SO_LINGER 0), as a crashing client does.
  void reset() {
    linger l{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close();
  }

  void close() {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }

  static std::string error_text(int e) {
    if (e == EAGAIN || e == EWOULDBLOCK)
      return "timed out";
    return std::strerror(e);
  }

private:
  int fd_ = -1;
};

/// Failures that client threads report; the test body asserts on them after joining the threads.
class failures {
public:
  void add(std::string what) {
    std::lock_guard lock(mutex_);
    list_.push_back(std::move(what));
  }
  std::vector<std::string> list() const {
    std::lock_guard lock(mutex_);
    return list_;
  }
  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return list_.size();
  }
  /// The failures joined into one message (at most the first 10).
  std::string text() const {
    std::lock_guard lock(mutex_);
    std::string all;
    for (std::size_t i = 0; i < list_.size() && i < 10; ++i)
      all += list_[i] + "\n";
    return all;
  }

private:
  mutable std::mutex mutex_;
  std::vector<std::string> list_;
};

/// A thread that runs `body` and records what it throws in `log`, prefixed with `name`.
inline std::thread client_thread(failures& log, std::string name, std::function<void()> body) {
  return std::thread([&log, name = std::move(name), body = std::move(body)] {
    try {
      body();
    } catch (const std::exception& e) {
      log.add(name + ": " + e.what());
    }
  });
}

} // namespace integration
