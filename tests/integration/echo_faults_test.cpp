// libactor-echo against misbehaving clients, each while a well-behaved client keeps being served:
// clients that send but never read (memory stays bounded by --max-pending-bytes), idle clients
// (closed after --idle-timeout), clients that reset mid-message, and connections beyond
// --max-connections (accepted and closed at once, counted). Descriptors return to their baseline.
#define BOOST_TEST_MODULE echo_faults
#include <boost/test/unit_test.hpp>

#include <poll.h>
#include <memory>
#include <vector>

#include "support/echo_client.hpp"
#include "support/raw_client.hpp"

using namespace echo_test;
using namespace std::chrono_literals;

namespace {

/// A well-behaved client: `rounds` verified echoes on one connection.
la::job<bool> good_client(std::uint16_t port, std::size_t id, std::size_t rounds) {
  auto s = co_await la::open_connection("127.0.0.1", port);
  bool ok = true;
  for (std::size_t r = 0; r < rounds && ok; ++r)
    ok = co_await echo_once(s, message_for(id, r, 1000));
  co_await s.close();
  co_return ok;
}

/// Pushes up to `limit` bytes into a client that never reads, until the kernel's buffers on both
/// sides are full (the server stopped reading it): a 200 ms poll without progress ends the push (it only decides when to stop pushing; nothing is asserted on time).
std::size_t push_until_stuck(raw_client& c, std::size_t limit) {
  std::string chunk(64 * 1024, 'x');
  std::size_t sent = 0;
  while (sent < limit) {
    auto n = c.send_some(chunk);
    if (n == 0) {
      pollfd p{c.fd(), POLLOUT, 0};
      if (poll(&p, 1, 200) <= 0)
        break;
      continue;
    }
    sent += n;
  }
  return sent;
}

} // namespace

LIBACTOR_TEST_CASE_WITH(clients_that_never_read_cannot_grow_the_server, client_config()) {
  constexpr std::size_t pending = 64 * 1024, non_readers = 20;
  echo_process server({"--max-pending-bytes", std::to_string(pending)});
  auto base_fds = server.fd_count();
  auto base_rss = server.rss_kib();
  std::vector<std::unique_ptr<raw_client>> stuck;
  std::size_t pushed = 0;
  for (std::size_t i = 0; i < non_readers; ++i) {
    stuck.push_back(std::make_unique<raw_client>(server.port()));
    pushed += co_await la::to_thread(push_until_stuck, std::ref(*stuck.back()), std::size_t{8} << 20);
  }
  auto rss = server.rss_kib();
  BOOST_TEST_MESSAGE("non-readers pushed " << pushed / 1024 << " KiB in all; server RSS " << base_rss << " -> " << rss
                                           << " KiB");
  // Per stuck connection the server holds at most max_pending + one read buffer of echo.
  BOOST_TEST(rss - base_rss <= static_cast<long>(non_readers * (pending + 64 * 1024) / 1024 + 16 * 1024));
  BOOST_TEST(co_await good_client(server.port(), 1, 200));  // others are unaffected
  stuck.clear();
  BOOST_TEST(co_await wait_for_fds(server, base_fds) == base_fds);
  BOOST_TEST(co_await good_client(server.port(), 2, 10));
  BOOST_TEST(server.stop() == 0);
}

LIBACTOR_TEST_CASE_WITH(idle_clients_are_closed_and_active_ones_are_not, client_config()) {
  echo_process server({"--idle-timeout", "1"});
  raw_client idle(server.port());
  auto active = co_await la::open_connection("127.0.0.1", server.port());
  // The active client keeps talking until the idle one has been closed by the server.
  auto idle_read = la::spawn(la::to_thread([&idle] {
    char buf[16];
    return idle.recv_once(buf, sizeof buf);
  }));
  std::size_t rounds = 0;
  bool ok = true;
  while (!idle_read.done() && ok && rounds < 1'000'000)
    ok = co_await echo_once(active, message_for(0, rounds++, 200));
  BOOST_TEST(ok);
  BOOST_TEST(co_await idle_read == 0);  // end of stream, not a 30 s timeout (-1)
  BOOST_TEST(co_await echo_once(active, "still here"));
  BOOST_TEST_MESSAGE(rounds << " echoes on the active connection while the idle one timed out");
  co_await active.close();
  BOOST_TEST(server.stop() == 0);
  BOOST_TEST(server.stderr_text().find("idle_closed=1 ") != std::string::npos);
}

LIBACTOR_TEST_CASE_WITH(resets_mid_message_leave_the_server_serving, client_config()) {
  echo_process server({});
  auto base_fds = server.fd_count();
  auto good = la::spawn(good_client(server.port(), 7, 2000));
  for (int i = 0; i < 300; ++i) {
    raw_client c(server.port());
    c.send_all(std::string(500 + i % 1000, 'r'));  // half of a message the server starts echoing
    c.reset();
  }
  BOOST_TEST(co_await good);
  BOOST_TEST(co_await wait_for_fds(server, base_fds) == base_fds);
  BOOST_TEST(co_await good_client(server.port(), 8, 10));
  BOOST_TEST(server.stop() == 0);
}

LIBACTOR_TEST_CASE_WITH(connections_beyond_the_limit_are_closed_at_once_and_counted, client_config()) {
  echo_process server({"--max-connections", "5"});
  std::vector<la::stream> admitted;
  for (std::size_t i = 0; i < 5; ++i) {
    admitted.push_back(co_await la::open_connection("127.0.0.1", server.port()));
    BOOST_TEST(co_await echo_once(admitted.back(), message_for(i, 0)));  // admitted and served
  }
  for (int i = 0; i < 3; ++i) {
    raw_client extra(server.port());
    char buf[16];
    auto n = co_await la::to_thread([&] { return extra.recv_once(buf, sizeof buf); });
    BOOST_TEST(n <= 0);  // closed at once (end of stream or reset), never an echo
  }
  for (auto& s : admitted)
    BOOST_TEST(co_await echo_once(s, "still served"));
  for (auto& s : admitted)
    co_await s.close();
  BOOST_TEST(server.stop() == 0);
  BOOST_TEST(server.stderr_text().find("rejected=3 ") != std::string::npos);
}
