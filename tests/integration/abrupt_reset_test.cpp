// libactor-echo survives clients that reset their connection (SO_LINGER 0 + close) in the middle
// of an exchange, many times and in several ways: right after connecting, right after sending
// half a message, after part of the echo came back, and while the server is blocked writing a
// large echo back. Normal clients interleaved with them (on their own thread, on new connections)
// keep getting every echo right. Afterwards the server is still up, serves a new client, and its
// descriptors return exactly to their baseline; SIGTERM still ends it with exit code 0.
// LIBACTOR_TEST_SCALE scales the number of resets (default 2 x 250).
#define BOOST_TEST_MODULE abrupt_reset
#include <boost/test/unit_test.hpp>

#include <atomic>

#include "support/server_process.hpp"
#include "support/socket_client.hpp"

using namespace integration;

namespace {

/// One client that resets mid-exchange; `kind` picks where.
void reset_midway(std::uint16_t port, std::size_t id, int kind) {
  client c(port);
  auto whole = message(id, 2000);
  switch (kind) {
  case 0:  // connected, sent nothing
    break;
  case 1:  // half a message sent, reset before any echo is read
    c.send_all(std::string_view(whole).substr(0, 1000));
    break;
  case 2: {  // half a message, its echo read back, then part of the rest, reset
    c.send_all(std::string_view(whole).substr(0, 1000));
    auto back = c.recv_exact(1000);
    if (back != whole.substr(0, 1000))
      throw io_error("wrong echo before the reset: " + first_difference(whole.substr(0, 1000), back));
    c.send_all(std::string_view(whole).substr(1000, 500));
    break;
  }
  case 3: {  // as much as the socket takes without blocking (up to 1 MiB) and never read: the
             // server is writing its echo back when the reset comes
    auto big = message(id, 1 << 20);
    std::size_t sent = 0;
    for (;;) {
      auto n = ::send(c.fd(), big.data() + sent, big.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n <= 0)
        break;
      sent += static_cast<std::size_t>(n);
      if (sent == big.size())
        break;
    }
    break;
  }
  }
  c.reset();
}

} // namespace

BOOST_AUTO_TEST_CASE(resets_mid_message_leave_the_server_serving_and_release_descriptors) {
  const std::size_t per_thread = scaled(250, 4);
  server_process server({"--threads", "2"});
  const auto base_fds = server.fd_count();
  failures log;

  std::atomic<int> resetters_left{2};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.push_back(client_thread(log, "resetter " + std::to_string(t), [&, t] {
      struct done_guard {
        std::atomic<int>& left;
        ~done_guard() { --left; }
      } guard{resetters_left};
      for (std::size_t i = 0; i < per_thread && log.count() == 0; ++i)
        reset_midway(server.port(), t * per_thread + i, static_cast<int>(i % 4));
    }));

  std::atomic<std::size_t> normal_echoes{0}, normal_connections{0};
  threads.push_back(client_thread(log, "normal client", [&] {
    // Until the resetters are done (bounded by them; at least 3 connections), a new connection
    // every 10 echoes.
    for (std::size_t r = 0; (resetters_left > 0 || normal_connections < 3) && log.count() == 0;
         ++normal_connections) {
      client c(server.port());
      for (std::size_t end = r + 10; r < end; ++r) {
        c.expect_echo(message(1'000'000 + r, 1 + r * 97 % 20'000));
        ++normal_echoes;
      }
    }
  }));
  for (auto& t : threads)
    t.join();
  BOOST_REQUIRE_MESSAGE(log.count() == 0, log.text());

  BOOST_REQUIRE(server.running());
  {
    client after(server.port());
    after.expect_echo(message(7, 100'000));
  }
  const auto fds = server.wait_for_fds_at_most(base_fds);
  BOOST_TEST(fds == base_fds);
  BOOST_TEST_MESSAGE(2 * per_thread << " resets; " << normal_echoes << " verified echoes on " << normal_connections
                                    << " normal connections meanwhile; server fds " << fds << " (baseline "
                                    << base_fds << ")");
  BOOST_TEST(server.stop() == 0);
  auto counts = server.exit_summary();
  BOOST_REQUIRE_MESSAGE(counts.has_value(), "no summary line in stderr:\n" << server.stderr_text());
  BOOST_TEST(counts->accepted == 2 * per_thread + normal_connections + 1);
  BOOST_TEST(counts->rejected == 0u);
  BOOST_TEST(counts->errors == 0u);  // a peer's reset is counted under resets, not as a server error
  BOOST_TEST_MESSAGE("server summary: resets=" << counts->resets << " errors=" << counts->errors << " idle_closed=" << counts->idle_closed);
}
