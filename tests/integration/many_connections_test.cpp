// libactor-echo holds 10,000 concurrent connections: all are opened (at most 500 connects in
// flight: the accept backlog is finite) and each verifies the echo of its own message as it opens;
// with all of them open at once, every one verifies a second message. After all are closed, the
// server's descriptors return exactly to their baseline and its resident memory to near it
// (within 48 MiB: measured 10 -> 70 -> 39 MiB on the reference machine, the same after any number
// of further bursts; not asserted under a sanitizer).
// The clients are one epoll loop over non-blocking POSIX sockets (10,000 threads would not do).
// LIBACTOR_TEST_SCALE scales the 10,000.
#define BOOST_TEST_MODULE many_connections
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/epoll.h>

#include "support/server_process.hpp"
#include "support/socket_client.hpp"

using namespace integration;

namespace {

/// The client side of N connections, driven by one epoll loop. A connection's exchange is: send
/// its message for the round, read until as many bytes came back, compare.
class connection_set {
public:
  connection_set(std::uint16_t port, std::size_t count) : port_(port), conns_(count) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
  }
  ~connection_set() {
    close_all();
    ::close(epoll_);
  }

  /// Opens every connection, at most `max_in_flight` not yet echoed at a time; each exchanges its
  /// round-0 message. Returns when all have, or at the deadline; failures go to `log`.
  void open_all(std::size_t max_in_flight, failures& log, std::chrono::seconds limit) {
    std::size_t next = 0, in_flight = 0;
    run(log, limit, [&] {
      while (next < conns_.size() && in_flight < max_in_flight && log.count() == 0) {
        open(next++, log);
        ++in_flight;
      }
    }, [&] { --in_flight; });
  }

  /// Every (open) connection exchanges its round-1 message, all at once.
  void exchange_all(failures& log, std::chrono::seconds limit) {
    for (std::size_t i = 0; i < conns_.size(); ++i)
      start_round(i, 1);
    run(log, limit, [] {}, [] {});
  }

  std::size_t verified() const { return verified_; }

  void close_all() {
    for (auto& c : conns_)
      if (c.fd >= 0) {
        ::close(c.fd);
        c.fd = -1;
      }
  }

private:
  enum class state { idle, connecting, sending, receiving };
  struct conn {
    int fd = -1;
    state st = state::idle;
    std::string out;  // this round's message
    std::size_t sent = 0;
    std::string in;
  };

  /// Sizes differ per connection (32..287 bytes), and contents per connection and round.
  std::string message_for(std::size_t i, int round) const { return message(i * 2 + round, 32 + i * 7 % 256); }

  void open(std::size_t i, failures& log) {
    auto& c = conns_[i];
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
      log.add("socket #" + std::to_string(i) + ": " + std::strerror(errno));
      return;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
      log.add("connect #" + std::to_string(i) + ": " + std::strerror(errno));
      return;
    }
    c.st = state::connecting;
    ++busy_;
    epoll_event ev{EPOLLOUT, {.u64 = i}};
    epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
  }

  void start_round(std::size_t i, int round) {
    auto& c = conns_[i];
    c.out = message_for(i, round);
    c.sent = 0;
    c.in.clear();
    if (c.st == state::idle)
      ++busy_;
    c.st = state::sending;
    epoll_event ev{EPOLLOUT, {.u64 = i}};
    epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
  }

  /// Handles readiness of connection `i`; returns true when its exchange is complete.
  bool on_ready(std::size_t i, failures& log) {
    auto& c = conns_[i];
    auto fail = [&](const std::string& what) {
      log.add("connection #" + std::to_string(i) + ": " + what);
      epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
      c.st = state::idle;
      --busy_;
      return false;
    };
    if (c.st == state::connecting) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0)
        return fail(std::string("connect: ") + std::strerror(err));
      epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
      start_round(i, 0);
    }
    if (c.st == state::sending) {
      auto n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN)
        return fail(std::string("send: ") + std::strerror(errno));
      c.sent += n > 0 ? static_cast<std::size_t>(n) : 0;
      if (c.sent == c.out.size()) {
        c.st = state::receiving;
        epoll_event ev{EPOLLIN, {.u64 = i}};
        epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
      }
      return false;
    }
    if (c.st == state::receiving) {
      char buf[512];
      auto n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n == 0)
        return fail("end of stream after " + std::to_string(c.in.size()) + " echoed bytes");
      if (n < 0)
        return errno == EAGAIN ? false : fail(std::string("recv: ") + std::strerror(errno));
      c.in.append(buf, static_cast<std::size_t>(n));
      if (c.in.size() < c.out.size())
        return false;
      if (c.in != c.out)
        return fail("wrong echo: " + first_difference(c.out, c.in));
      epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);  // stays open, unwatched, until close_all
      c.st = state::idle;
      --busy_;
      ++verified_;
      return true;
    }
    return false;
  }

  /// The event loop: `refill()` before each wait, `on_done()` per completed exchange; ends when no
  /// exchange is pending, at the first failure, or at the deadline (a failure too).
  template <class Refill, class Done>
  void run(failures& log, std::chrono::seconds limit, Refill refill, Done on_done) {
    auto deadline = steady::now() + limit;
    std::vector<epoll_event> events(1024);
    auto pending = [&] { return busy_ > 0; };
    std::size_t target = verified_;
    refill();
    while (log.count() == 0) {
      if (!pending()) {
        refill();
        if (!pending())
          return;
      }
      if (steady::now() >= deadline) {
        log.add("deadline: only " + std::to_string(verified_ - target) + " exchanges completed");
        return;
      }
      int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 1000);
      for (int k = 0; k < n; ++k)
        if (on_ready(events[k].data.u64, log))
          on_done();
      refill();
    }
  }

  std::uint16_t port_;
  std::vector<conn> conns_;
  int epoll_ = -1;
  std::size_t verified_ = 0;
  std::size_t busy_ = 0;  // connections with an exchange under way
};

} // namespace

BOOST_AUTO_TEST_CASE(ten_thousand_concurrent_connections_each_echoed_then_resources_return) {
  const std::size_t connections = scaled(10'000);
  raise_nofile();
  BOOST_REQUIRE_MESSAGE(nofile_limit() > connections + 100,
                        "RLIMIT_NOFILE " << nofile_limit() << " is too low for " << connections << " connections");
  server_process server({"--threads", "2", "--max-connections", std::to_string(connections * 2)});
  const auto base_fds = server.fd_count();
  {
    // One connection first, so that the baseline includes what the first one initializes lazily.
    client warm_up(server.port());
    warm_up.expect_echo(message(1'000'000, 100));
  }
  BOOST_REQUIRE_EQUAL(server.wait_for_fds_at_most(base_fds), base_fds);
  const auto base_rss = server.rss_kib();

  failures log;
  connection_set set(server.port(), connections);
  set.open_all(500, log, std::chrono::seconds(300));
  BOOST_REQUIRE_MESSAGE(log.count() == 0, log.text());
  BOOST_TEST(set.verified() == connections);
  // All of them are open at once, on the server's side too.
  const auto peak_fds = server.fd_count();
  const auto peak_rss = server.rss_kib();
  BOOST_TEST(peak_fds >= base_fds + connections);

  set.exchange_all(log, std::chrono::seconds(300));
  BOOST_REQUIRE_MESSAGE(log.count() == 0, log.text());
  BOOST_TEST(set.verified() == 2 * connections);

  set.close_all();
  const auto fds = server.wait_for_fds_at_most(base_fds);
  BOOST_TEST(fds == base_fds);
  // Freed memory may go back to the OS a little later than the descriptors: wait for it, bounded.
  long rss = server.rss_kib();
  if (!sanitized)
    wait_until([&] { return (rss = server.rss_kib()) <= base_rss + 48 * 1024; }, 30s);
  BOOST_TEST_MESSAGE("server fds: baseline " << base_fds << ", with " << connections << " open " << peak_fds
                                             << ", after " << fds << "; VmRSS: baseline " << base_rss
                                             << " KiB, peak " << peak_rss << " KiB, after " << rss << " KiB");
  if (!sanitized)
    BOOST_TEST(rss <= base_rss + 48 * 1024);

  BOOST_TEST(server.stop() == 0);
  auto counts = server.exit_summary();
  BOOST_REQUIRE_MESSAGE(counts.has_value(), "no summary line in stderr:\n" << server.stderr_text());
  BOOST_TEST(counts->accepted == connections + 1);
  BOOST_TEST(counts->rejected == 0u);
  BOOST_TEST(counts->errors == 0u);
}
