#pragma once
// Misbehaving clients need what a stream does not offer (resetting, never reading): plain POSIX
// sockets on 127.0.0.1, with 30 s timeouts so that a server bug fails the test instead of hanging.

#include <arpa/inet.h>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <netinet/in.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace echo_test {

class raw_client {
public:
  explicit raw_client(std::uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{30, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("connect failed: " + std::string(strerror(errno)));
  }
  ~raw_client() { close_now(); }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  int fd() const { return fd_; }
  void send_all(const std::string& data) {
    for (std::size_t off = 0; off < data.size();) {
      auto n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0)
        throw std::runtime_error("send failed: " + std::string(strerror(errno)));
      off += static_cast<std::size_t>(n);
    }
  }
  /// Sends without blocking; returns the bytes the kernel took (0 when its buffers are full).
  std::size_t send_some(const std::string& data) {
    auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  /// recv() once (blocking, 30 s timeout): bytes read, 0 at end of stream, -1 on error or timeout.
  long recv_once(char* buf, std::size_t size) { return static_cast<long>(::recv(fd_, buf, size, 0)); }
  /// Closes with a TCP reset (SO_LINGER 0), as a crashing client would.
  void reset() {
    linger l{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close_now();
  }
  void close_now() {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }

private:
  int fd_ = -1;
};

} // namespace echo_test
