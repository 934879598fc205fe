// libactor-echo against clients that send but never read. Each of 16 such clients tries to send
// 8 MiB without reading a byte; the server must stop reading from them once --max-pending-bytes of
// their echoes are waiting, so that:
// - the server's RSS stays under baseline + clients x 2 x max-pending + 16 MiB, sampled throughout
//   (the kernel's socket buffers hold part of the 8 MiB — about 4.8 MB here, mostly the server's
//   autotuned send buffer — but it is not the server's RSS: a server that kept reading would hold
//   the rest, some 50 MiB over 16 clients; not asserted under a sanitizer);
// - a well-behaved client on the side keeps getting correct echoes (one I/O thread serves all).
// Then half of them disconnect without reading, and the other half start reading: they get every
// byte they sent echoed, in order, up to the end of stream that follows their shutdown. The
// server's descriptors return to their baseline and its memory stays bounded.
#define BOOST_TEST_MODULE slow_reader
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <poll.h>

#include "support/server_process.hpp"
#include "support/socket_client.hpp"

using namespace integration;

namespace {

constexpr std::size_t max_pending = 64 * 1024;
constexpr std::size_t attempt = 8 * 1024 * 1024;  // what each non-reader tries to send
constexpr int small_buffer = 64 * 1024;           // fixed (the kernel doubles it): no autotuning

/// A client that sends `data` without reading, from its own thread, until everything is sent or
/// it is told to give up. `blocked` says that its last send found the socket full.
struct non_reader {
  non_reader(std::uint16_t port, std::uint64_t id)
      : c(port, {.socket_buffer = small_buffer}), data(message(id, attempt)) {}

  void write_loop(failures& log) {
    while (sent < data.size() && !give_up) {
      auto n = ::send(c.fd(), data.data() + sent, data.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        blocked = false;
        sent += static_cast<std::size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        blocked = true;
        pollfd p{c.fd(), POLLOUT, 0};
        poll(&p, 1, 20);  // wakes up to notice give_up
      } else {
        log.add("non-reader send after " + std::to_string(sent) + " bytes: " + client::error_text(errno));
        return;
      }
    }
    if (sent == data.size())
      c.shutdown_send();  // so that the server ends the echo once it has sent everything back
  }

  /// Reads the echo of everything this client sends, up to the end of stream, and compares.
  void read_all(failures& log) {
    auto end = c.read_to_end();
    if (end.error != 0)
      log.add("reader: stream ended by " + client::error_text(end.error) + " after " +
              std::to_string(end.data.size()) + " bytes");
    else if (auto diff = first_difference(data, end.data); !diff.empty())
      log.add("reader: wrong echo: " + diff);
  }

  /// A failed assertion unwinds through here: stop and join the threads (never std::terminate).
  ~non_reader() {
    give_up = true;
    ::shutdown(c.fd(), SHUT_RDWR);  // wakes a reader blocked in recv
    if (writer.joinable())
      writer.join();
    if (reader.joinable())
      reader.join();
  }

  client c;
  std::string data;
  std::atomic<std::size_t> sent{0};
  std::atomic<bool> blocked{false};
  std::atomic<bool> give_up{false};
  std::thread writer, reader;
};

} // namespace

BOOST_AUTO_TEST_CASE(clients_that_never_read_cannot_make_the_server_buffer_without_bound) {
  const std::size_t count = scaled(16, 2);
  server_process server({"--threads", "1", "--max-pending-bytes", std::to_string(max_pending), "--idle-timeout", "0"});
  const auto base_fds = server.fd_count();
  client normal(server.port());
  normal.expect_echo(message(0, 1000));
  const auto base_rss = server.rss_kib();
  const long bound = base_rss + static_cast<long>(count * 2 * max_pending / 1024) + 16 * 1024;
  long peak = base_rss;
  auto sample = [&] { peak = std::max(peak, server.rss_kib()); };

  failures log;
  std::vector<std::unique_ptr<non_reader>> clients;
  for (std::size_t i = 0; i < count; ++i) {
    clients.push_back(std::make_unique<non_reader>(server.port(), 100 + i));
    auto* nr = clients.back().get();
    nr->writer = client_thread(log, "non-reader " + std::to_string(i), [nr, &log] { nr->write_loop(log); });
  }
  // The server has taken what it will from them once every one finds its socket full (a server
  // that buffers without bound would let them send all 8 MiB instead).
  bool all_stuck = wait_until([&] {
    sample();
    return std::all_of(clients.begin(), clients.end(),
                       [](auto& nr) { return nr->blocked || nr->sent == attempt; }) ||
           log.count() > 0;
  }, sanitized ? 300s : 60s);  // a sanitized server echoes the kernel's buffers far more slowly
  BOOST_REQUIRE_MESSAGE(log.count() == 0, log.text());
  BOOST_REQUIRE(all_stuck);

  // Meanwhile the well-behaved client is served: 200 verified echoes of 1 byte .. 64 KiB.
  for (std::size_t round = 1; round <= 200; ++round) {
    normal.expect_echo(message(round, 1 + round * 331 % (64 * 1024)));
    sample();
  }
  std::size_t most = 0;
  for (auto& nr : clients)
    most = std::max<std::size_t>(most, nr->sent);
  BOOST_TEST_MESSAGE("VmRSS baseline " << base_rss << " KiB, peak " << peak << " KiB, bound " << bound
                                       << " KiB; most any non-reader got sent: " << most << " bytes");
  if (!sanitized)
    BOOST_TEST(peak <= bound);

  // Odd ones disconnect without reading; even ones start reading and get everything back.
  for (std::size_t i = 0; i < count; ++i) {
    auto* nr = clients[i].get();
    if (i % 2 == 1) {
      nr->give_up = true;
      nr->writer.join();
      nr->c.close();  // unread data in its receive buffer: the server sees a reset
    } else {
      nr->reader = client_thread(log, "reader " + std::to_string(i), [nr, &log] { nr->read_all(log); });
    }
  }
  for (std::size_t i = 0; i < count; i += 2) {
    clients[i]->writer.join();
    clients[i]->reader.join();
    sample();
  }
  BOOST_REQUIRE_MESSAGE(log.count() == 0, log.text());
  clients.clear();

  normal.expect_echo(message(1'000, 10'000));
  normal.close();
  BOOST_TEST(server.wait_for_fds_at_most(base_fds) == base_fds);
  sample();
  BOOST_TEST_MESSAGE("VmRSS peak over the whole test " << peak << " KiB, at the end " << server.rss_kib() << " KiB");
  if (!sanitized)
    BOOST_TEST(peak <= bound);
  BOOST_TEST(server.stop() == 0);
}
