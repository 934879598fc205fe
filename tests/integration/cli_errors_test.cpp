// libactor-echo's command line and its end:
// - a port already in use (a listener of the test's own): nonzero exit, no listening line, and a
//   message on stderr that names the port;
// - bad flags (out of range, not a number, unknown, missing value): nonzero exit, no listening
//   line, a message on stderr that names the flag;
// - SIGTERM during echo traffic: exit code 0, and what each client got back before its stream
//   ended is an exact prefix of what it sent (no byte corrupted, reordered or invented);
// - SIGTERM while the server holds echoes a client has not taken yet: the client, reading only
//   after the signal, still gets back at least every byte the server had read before it (computed
//   from the kernel's queues: sent - unacked in the client's socket - unread in the server's).
// Every run of the binary is bounded (30 s for one that should exit by itself, 60 s after SIGTERM).
#define BOOST_TEST_MODULE cli_errors
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <linux/sockios.h>
#include <memory>
#include <poll.h>
#include <sstream>
#include <sys/ioctl.h>

#include "support/server_process.hpp"
#include "support/socket_client.hpp"

using namespace integration;

namespace {

/// A listener of the test's own on 127.0.0.1, on a port the kernel picks.
struct listener {
  listener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error(std::string("listener: ") + std::strerror(errno));
    port = ntohs(addr.sin_port);
  }
  ~listener() { ::close(fd); }
  int fd = -1;
  std::uint16_t port = 0;
};

/// A stream whose byte at offset o is pattern[o % period]: a period that is no power of two, so
/// that a dropped or repeated block shows.
struct cyclic {
  explicit cyclic(std::uint64_t id) : period(65'537 + id), twice(message(id, period)) { twice += twice; }
  std::string_view at(std::size_t offset, std::size_t n) const { return std::string_view(twice).substr(offset % period, n); }
  std::size_t period;
  std::string twice;
};

std::uint16_t local_port(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

/// Bytes the kernel holds in the receive queue of the server's end of a connection (not yet read
/// by the server), from /proc/net/tcp; -1 when the connection is not listed.
long server_unread(std::uint16_t server_port, std::uint16_t client_port) {
  char local[32], remote[32];
  std::snprintf(local, sizeof local, "0100007F:%04X", server_port);
  std::snprintf(remote, sizeof remote, "0100007F:%04X", client_port);
  std::ifstream in("/proc/net/tcp");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string sl, l, r, st, queues;
    fields >> sl >> l >> r >> st >> queues;
    if (l == local && r == remote)
      return std::stol(queues.substr(queues.find(':') + 1), nullptr, 16);
  }
  return -1;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_port_in_use_is_a_clear_error) {
  listener taken;
  auto r = run_to_exit({"--port", std::to_string(taken.port)});
  BOOST_TEST(r.exit_code != 0);
  BOOST_TEST(r.exit_code != killed_after_limit, "still running 30 s later");
  BOOST_TEST(r.out.find("listening") == std::string::npos, r.out);
  BOOST_TEST(r.err.find(std::to_string(taken.port)) != std::string::npos, "stderr: " << r.err);
  BOOST_TEST_MESSAGE("port in use: exit " << r.exit_code << ", stderr: " << r.err);
}

BOOST_AUTO_TEST_CASE(bad_flags_are_clear_errors) {
  struct bad {
    std::vector<std::string> args;
    std::string named;  // what the message must mention
  };
  const std::vector<bad> cases = {
    {{"--port", "-1"}, "--port"},
    {{"--port", "70000"}, "--port"},
    {{"--port"}, "--port"},
    {{"--threads", "0"}, "--threads"},
    {{"--max-connections", "abc"}, "--max-connections"},
    {{"--max-connections", "0"}, "--max-connections"},
    {{"--idle-timeout", "-1"}, "--idle-timeout"},
    {{"--max-pending-bytes", "0"}, "--max-pending-bytes"},
    {{"--log-level", "loud"}, "--log-level"},
    {{"--no-such-flag"}, "--no-such-flag"},
  };
  for (auto& c : cases) {
    // A free port first: were the bad flag accepted, the server would not collide with anything.
    std::vector<std::string> args{"--port", "0"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto r = run_to_exit(args);
    BOOST_TEST_CONTEXT(c.args[0] << (c.args.size() > 1 ? " " + c.args[1] : std::string())) {
      BOOST_TEST(r.exit_code != 0);
      BOOST_TEST(r.exit_code != killed_after_limit, "accepted and kept running");
      BOOST_TEST(r.out.find("listening") == std::string::npos, r.out);
      BOOST_TEST(r.err.find(c.named) != std::string::npos, "stderr: " << r.err);
    }
  }
}

BOOST_AUTO_TEST_CASE(sigterm_during_traffic_exits_0_and_echoes_are_exact_prefixes) {
  const std::size_t connections = 4;
  server_process server({"--threads", "2"});
  failures log;
  struct conn {
    explicit conn(std::uint16_t port, std::uint64_t id) : c(port), data(id) {}
    client c;
    cyclic data;
    std::atomic<std::size_t> received{0};
    std::atomic<bool> reading{true};
    std::thread writer, reader;
  };
  std::vector<std::unique_ptr<conn>> conns;
  for (std::size_t i = 0; i < connections; ++i) {
    conns.push_back(std::make_unique<conn>(server.port(), i));
    auto* k = conns.back().get();
    k->reader = client_thread(log, "reader " + std::to_string(i), [k] {
      char buf[16384];
      for (;;) {
        auto n = ::recv(k->c.fd(), buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
          break;  // the server's shutdown ended the stream
        if (n < 0 && errno == EINTR)
          continue;
        if (n < 0)
          throw io_error("recv: " + client::error_text(errno));
        auto want = k->data.at(k->received, static_cast<std::size_t>(n));
        if (std::string_view(buf, static_cast<std::size_t>(n)) != want)
          throw io_error("echo differs from what was sent, within bytes " + std::to_string(k->received) + ".." +
                         std::to_string(k->received + static_cast<std::size_t>(n)));
        k->received += static_cast<std::size_t>(n);
      }
      k->reading = false;
    });
    k->writer = client_thread(log, "writer " + std::to_string(i), [k] {
      // Bounded: 1 GiB at most; it ends when the server's shutdown closes the connection.
      for (std::size_t sent = 0; sent < (1u << 30) && k->reading;) {
        auto chunk = k->data.at(sent, 16384);
        auto n = ::send(k->c.fd(), chunk.data(), chunk.size(), MSG_NOSIGNAL);
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
          return;
        if (n < 0 && errno == EINTR)
          continue;
        if (n <= 0)
          throw io_error("send: " + client::error_text(errno));
        sent += static_cast<std::size_t>(n);
      }
    });
  }
  // Traffic is flowing on every connection: then the signal.
  bool flowing = wait_until([&] {
    return log.count() > 0 || std::all_of(conns.begin(), conns.end(), [](auto& k) { return k->received >= (256u << 10); });
  }, 30s);
  BOOST_REQUIRE_MESSAGE(log.count() == 0, log.text());
  BOOST_REQUIRE(flowing);
  BOOST_TEST(server.stop(SIGTERM) == 0);
  for (auto& k : conns) {
    k->reader.join();
    k->reading = false;  // a writer still blocked gets EPIPE or ECONNRESET: the server is gone
    k->writer.join();
  }
  BOOST_REQUIRE_MESSAGE(log.count() == 0, log.text());
  for (std::size_t i = 0; i < connections; ++i)
    BOOST_TEST_MESSAGE("connection " << i << ": " << conns[i]->received << " bytes echoed, all exact");
  auto counts = server.exit_summary();
  BOOST_REQUIRE_MESSAGE(counts.has_value(), "no summary line in stderr:\n" << server.stderr_text());
}

BOOST_AUTO_TEST_CASE(sigterm_lets_the_server_echo_what_it_had_read) {
  server_process server({"--threads", "1"});
  client c(server.port(), {.socket_buffer = 64 * 1024});
  c.expect_echo(message(1, 1000));
  // Send without reading until the socket stays full: the server reads until --max-pending-bytes
  // of echoes wait for us, then stops. (Were the 200 ms too short on a slow machine, the server
  // would hold fewer echoes at the signal: the check below stays valid, only less demanding.)
  auto data = message(2, 16 << 20);
  std::size_t sent = 0;
  while (sent < data.size()) {
    auto n = ::send(c.fd(), data.data() + sent, data.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    pollfd p{c.fd(), POLLOUT, 0};
    if (n < 0 && errno != EAGAIN)
      BOOST_FAIL("send: " << client::error_text(errno));
    if (poll(&p, 1, 200) == 0)
      break;
  }
  int unacked = 0;
  ioctl(c.fd(), SIOCOUTQ, &unacked);
  const long unread = server_unread(server.port(), local_port(c.fd()));
  BOOST_REQUIRE(unread >= 0);
  // What the server had read at that moment; it must all come back. (A server that closes its
  // socket while our data still arrives makes the kernel reset the connection and drop the echoes
  // still in its send buffer: /proc/net/netstat's TCPAbortOnData counts those resets.)
  const std::size_t had_read = sent - static_cast<std::size_t>(unacked) - static_cast<std::size_t>(unread);

  server.signal(SIGTERM);
  auto end = c.read_to_end();  // reading only now lets the server's pending echoes through
  BOOST_TEST(server.stop() == 0);
  BOOST_TEST_MESSAGE("sent " << sent << " bytes; the server had read " << had_read << "; " << end.data.size()
                             << " came back before " << (end.error ? client::error_text(end.error) : "the end"));
  BOOST_TEST(end.data.size() >= had_read, "echoes of bytes the server had read were lost; server stderr:\n"
                                              << server.stderr_text());
  BOOST_TEST(first_difference(std::string_view(data).substr(0, end.data.size()), end.data).empty());
}
