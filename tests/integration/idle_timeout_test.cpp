// libactor-echo --idle-timeout 0.2 closes connections that move no data: one that was served once
// and then went silent, and one that never sent anything, both see the end of their stream (no
// stray bytes). Meanwhile a client that keeps exchanging messages back to back, on its own thread,
// is not closed: all its echoes are verified before, during and after. The summary counts exactly
// the two idle closes. No assertion on durations: the reads that wait for the server's close give
// up after 30 s, which fails the test.
#define BOOST_TEST_MODULE idle_timeout
#include <boost/test/unit_test.hpp>

#include <atomic>

#include "support/server_process.hpp"
#include "support/socket_client.hpp"

using namespace integration;

BOOST_AUTO_TEST_CASE(idle_connections_are_closed_and_active_ones_are_not) {
  server_process server({"--idle-timeout", "0.2"});
  const auto base_fds = server.fd_count();
  failures log;

  client active(server.port());
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> rounds{0};
  auto talker = client_thread(log, "active client", [&] {
    // Bounded by `stop`, which the test body sets whatever happens (the reads below time out).
    for (std::size_t r = 0; !stop; ++r) {
      active.expect_echo(message(r, 1 + r * 37 % 4096));
      ++rounds;
    }
  });

  client served_once(server.port());
  served_once.expect_echo(message(1'000'000, 100));
  client silent(server.port());

  client::ending ends[2];
  try {
    ends[0] = served_once.read_to_end();
    ends[1] = silent.read_to_end();
  } catch (const std::exception& e) {
    log.add(std::string("idle client: ") + e.what());
  }
  const std::size_t rounds_while_idle = rounds;
  // The active client keeps going a little longer after the idle ones were closed.
  wait_until([&] { return rounds >= rounds_while_idle + 100 || log.count() > 0; }, 30s);
  stop = true;
  talker.join();
  BOOST_REQUIRE_MESSAGE(log.count() == 0, log.text());

  for (auto& end : ends) {
    BOOST_TEST(end.data.empty(), "an idle client got " << end.data.size() << " unexpected bytes");
    BOOST_TEST((end.error == 0 || end.error == ECONNRESET), client::error_text(end.error));
  }
  BOOST_TEST(rounds_while_idle > 0u);
  active.expect_echo(message(2'000'000, 10'000));  // still open
  BOOST_TEST_MESSAGE("active client: " << rounds << " verified echoes; the idle ones were closed after "
                                        << rounds_while_idle);
  active.close();
  served_once.close();
  silent.close();
  BOOST_TEST(server.wait_for_fds_at_most(base_fds) == base_fds);

  BOOST_TEST(server.stop() == 0);
  auto counts = server.exit_summary();
  BOOST_REQUIRE_MESSAGE(counts.has_value(), "no summary line in stderr:\n" << server.stderr_text());
  BOOST_TEST(counts->accepted == 3u);
  BOOST_TEST(counts->idle_closed == 2u);
  BOOST_TEST(counts->errors == 0u);
}
