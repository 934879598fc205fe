#pragma once
// Probes for the networking tests: counting open descriptors (leaks), waiting in real time for a
// condition (bounded), a raw blocking POSIX socket that plays a peer libactor does not control —
// one that never reads, half-closes or resets — a listener whose accept queue is full (a connect
// to it hangs), and a byte pattern that shows lost, duplicated or reordered bytes.
//
// Raw calls that may block run through la::to_thread, never on a worker or an I/O thread; every
// blocking call is bounded by a socket timeout, so a broken test fails instead of hanging.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <libactor/errors.hpp>
#include <libactor/handle.hpp>
#include <libactor/job.hpp>
#include <libactor/open_connection.hpp>
#include <libactor/spawn.hpp>
#include <libactor/server.hpp>
#include <libactor/stream.hpp>
#include <libactor/to_thread.hpp>

namespace libactor::testing {

/// Descriptors this process has open now.
inline std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
    ++n;
  return n;
}

/// The name of the calling thread (libactor's I/O threads are "libactor.io-N").
inline std::string thread_name() {
  char name[32] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return name;
}

inline bool on_io_thread() { return thread_name().rfind("libactor.io-", 0) == 0; }

/// Pauses the job for `d` of real time, also under virtual time (only to let other threads get
/// ahead: never the only thing a test's result depends on).
inline job<void> real_pause(std::chrono::milliseconds d) {
  auto pause = [d] { std::this_thread::sleep_for(d); };
  co_await to_thread(pause);
}

/// Polls `pred` every 2 ms of real time until it holds or `limit` passed; whether it held.
template <class Pred>
job<bool> eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  auto give_up = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (pred())
      co_return true;
    if (std::chrono::steady_clock::now() > give_up)
      co_return false;
    co_await real_pause(std::chrono::milliseconds(2));
  }
}

/// Awaits `j`: the exception of type `E` it ended with, or nothing if it succeeded.
template <class E, class T>
job<std::optional<E>> failure_of(job<T> j) {
  std::optional<E> caught;
  try {
    co_await std::move(j);
  } catch (const E& e) {
    caught.emplace(e);
  }
  co_return caught;
}

/// Awaits `h`: "ok", "cancelled", or the what() of the exception it ended with.
template <class T>
job<std::string> outcome_of(handle<T> h) {
  std::string outcome = "ok";
  try {
    co_await h;
  } catch (const cancelled&) {
    outcome = "cancelled";
  } catch (const std::exception& e) {
    outcome = e.what();
  }
  co_return outcome;
}

/// Cancels `target` unless it has ended within `limit` of real time. A thread rather than a job or
/// a deadline scope, so that it bounds virtual-time tests too: there a deadline would pass as soon
/// as every job waits, on a socket for example.
class watchdog {
public:
  watchdog(job_ref target, std::chrono::milliseconds limit)
    : thread_([this, target, limit] {
        std::unique_lock lock{mu_};
        if (!woken_.wait_for(lock, limit, [this] { return done_; })) {
          fired_ = true;
          target.cancel();
        }
      }) {}
  ~watchdog() {
    {
      std::lock_guard lock{mu_};
      done_ = true;
    }
    woken_.notify_all();
    thread_.join();
  }
  watchdog(const watchdog&) = delete;
  watchdog& operator=(const watchdog&) = delete;
  bool fired() const noexcept { return fired_; }

private:
  std::mutex mu_;
  std::condition_variable woken_;
  bool done_ = false;
  std::atomic<bool> fired_{false};
  std::thread thread_;
};

/// Awaits the test scenario `h`; fails the test if it has not ended within a minute of real time
/// (a broken feature fails a case instead of hanging it).
inline job<void> within_a_minute(handle<void> h) {
  watchdog dog{h, std::chrono::minutes(1)};
  bool was_cancelled = false;
  try {
    co_await h;
  } catch (const cancelled&) {
    was_cancelled = true;
  }
  if (dog.fired())
    throw std::runtime_error("the scenario did not end within a minute");
  if (was_cancelled)
    throw cancelled{};
}

/// A test scenario run in a job with the given home (it spawns its helper jobs there too).
using homed_scenario = job<void> (*)(job_home);

/// Runs `scenario(home)` in a job spawned with `home`, within a minute. The two homes take
/// different paths: on CAF's workers, stream operations are posted to the socket's I/O thread; on
/// an I/O thread they run inline. Fails when the job does not run where asked.
inline job<void> run_homed(job_home home, homed_scenario scenario) {
  auto body = [](job_home where, homed_scenario s) -> job<void> {
    if (on_io_thread() != (where == job_home::io_thread))
      throw std::runtime_error("the scenario does not run where it was spawned to: " + thread_name());
    co_await s(where);
    if (on_io_thread() != (where == job_home::io_thread))
      throw std::runtime_error("the scenario moved to another kind of thread: " + thread_name());
  };
  co_await within_a_minute(spawn(body(home, scenario), {.name = "scenario", .home = home}));
}

/// Waits (bounded) until the descriptor count is back to `baseline`; the count it ended with.
inline job<std::size_t> fds_back_to(std::size_t baseline) {
  auto back = [baseline] { return open_fds() == baseline; };
  co_await eventually(back);
  co_return open_fds();
}

/// Clients that connect without a timeout: under virtual time one would pass as soon as every job
/// waits (on the connecting socket, for example).
constexpr connect_options no_timeout{.timeout = std::chrono::milliseconds(0), .stream = {}};

inline job<void> no_handler(stream&) { co_return; }

/// A connection handler that echoes everything until end of stream.
inline job<void> echo(stream& s) {
  std::array<std::byte, 4096> buf;
  for (;;) {
    auto n = co_await s.read_some(buf);
    if (n == 0)
      break;
    co_await s.write(std::span{buf}.first(n));
  }
}

/// Starts the runtime's I/O threads, whose reactors hold descriptors for the runtime's lifetime,
/// and returns the number of descriptors open with them running and no socket: the count a test
/// must come back to.
inline job<std::size_t> fd_baseline() {
  std::size_t with_listener = 0;
  {
    auto warm_up = co_await start_server(no_handler, "127.0.0.1", 0);
    with_listener = open_fds();
  }  // ~server closes the listener on its I/O thread
  co_await fds_back_to(with_listener - 1);
  co_return with_listener - 1;
}

/// `n` bytes of a pattern that never repeats with a short period: byte i of the stream.
inline std::string pattern(std::size_t n, std::size_t offset = 0) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    auto k = offset + i;
    out[i] = static_cast<char>((k * 131u) ^ (k >> 8) ^ (k >> 17));
  }
  return out;
}

[[noreturn]] inline void fail_errno(const char* what) {
  throw std::runtime_error(std::string("raw socket: ") + what + ": " + std::strerror(errno));
}

/// How a raw read to the end ended: what arrived, then 0 for a clean end of stream or the errno.
struct raw_ending {
  std::string data;
  int error = 0;
};

/// A blocking TCP socket on 127.0.0.1, closed on destruction.
class raw_socket {
public:
  raw_socket() = default;
  explicit raw_socket(int fd) : fd_(fd) {
    if (fd_ < 0)
      fail_errno("socket");
    timeval limit{20, 0};  // a broken test fails rather than hangs
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  }
  raw_socket(raw_socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  raw_socket& operator=(raw_socket&& other) noexcept {
    if (this != &other) {
      close();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~raw_socket() { close(); }

  int fd() const noexcept { return fd_; }
  void close() noexcept {
    if (fd_ >= 0)
      ::close(std::exchange(fd_, -1));
  }

  /// A listener on 127.0.0.1 with a free port. `rcvbuf` > 0 sets the receive buffer that accepted
  /// sockets inherit (a small one makes a peer that does not read fill up quickly).
  static raw_socket listen(int backlog = 16, int rcvbuf = 0) {
    raw_socket s{::socket(AF_INET, SOCK_STREAM, 0)};
    if (rcvbuf > 0)
      ::setsockopt(s.fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    auto addr = loopback(0);
    if (::bind(s.fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      fail_errno("bind");
    if (::listen(s.fd_, backlog) != 0)
      fail_errno("listen");
    return s;
  }
  static raw_socket connect(std::uint16_t port) {
    raw_socket s{::socket(AF_INET, SOCK_STREAM, 0)};
    auto addr = loopback(port);
    if (::connect(s.fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      fail_errno("connect");
    return s;
  }
  raw_socket accept() const {
    int fd = ::accept(fd_, nullptr, nullptr);
    if (fd < 0)
      fail_errno("accept");
    return raw_socket{fd};
  }
  std::uint16_t local_port() const {
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    return ntohs(addr.sin_port);
  }

  void send_all(std::string_view data) const {
    while (!data.empty()) {
      auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        fail_errno("send");
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  /// Exactly `n` bytes; throws at end of stream, on an error or after the socket timeout.
  std::string recv_exactly(std::size_t n) const {
    std::string out(n, '\0');
    std::size_t got = 0;
    while (got < n) {
      auto k = ::recv(fd_, out.data() + got, n - got, 0);
      if (k < 0 && errno == EINTR)
        continue;
      if (k == 0)
        throw std::runtime_error("raw socket: end of stream after " + std::to_string(got) + " of " +
                                 std::to_string(n) + " bytes");
      if (k < 0)
        fail_errno("recv");
      got += static_cast<std::size_t>(k);
    }
    return out;
  }
  /// Everything until end of stream or an error (a reset, the socket timeout).
  raw_ending recv_to_end() const {
    raw_ending out;
    char buf[64 * 1024];
    for (;;) {
      auto k = ::recv(fd_, buf, sizeof buf, 0);
      if (k < 0 && errno == EINTR)
        continue;
      if (k <= 0) {
        out.error = k == 0 ? 0 : errno;
        return out;
      }
      out.data.append(buf, static_cast<std::size_t>(k));
    }
  }
  void shutdown_send() const { ::shutdown(fd_, SHUT_WR); }
  /// Closes with a reset (RST) instead of an orderly end of stream.
  void reset() {
    linger hard{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    close();
  }

  static sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
  }

private:
  int fd_ = -1;
};

/// A port on 127.0.0.1 that nothing listens on (bound once, then released).
inline std::uint16_t free_port() { return raw_socket::listen().local_port(); }

/// A listener (backlog 0) whose accept queue is full: the kernel drops further SYNs, so a new
/// connect to `port` hangs until it times out. Nothing ever accepts.
struct full_listener {
  raw_socket listener;
  std::vector<raw_socket> queued;  // connected clients that fill the accept queue
  std::uint16_t port = 0;

  full_listener() : listener(raw_socket::listen(0)), port(listener.local_port()) {
    for (int i = 0; i < 16; ++i) {
      raw_socket c{::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)};
      auto addr = raw_socket::loopback(port);
      if (::connect(c.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS)
        fail_errno("connect");
      pollfd p{c.fd(), POLLOUT, 0};
      if (::poll(&p, 1, 500) == 0)
        return;  // this one hangs: the queue is full (the attempt is dropped with `c`)
      queued.push_back(std::move(c));
    }
    throw std::runtime_error("full_listener: the accept queue never filled up");
  }
};

} // namespace libactor::testing
