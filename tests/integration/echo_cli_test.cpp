// libactor-echo's command line and signals: a port in use and bad flags give a clear message and a
// nonzero exit; SIGTERM during traffic lets in-flight echoes finish and exits 0.
#define BOOST_TEST_MODULE echo_cli
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <vector>

#include "support/echo_client.hpp"
#include "support/raw_client.hpp"

using namespace echo_test;

BOOST_AUTO_TEST_CASE(a_port_in_use_is_a_clear_error) {
  echo_process first({});
  auto [status, err] = run_to_exit({"--port", std::to_string(first.port())});
  BOOST_TEST(status != 0);
  BOOST_TEST(err.find(std::to_string(first.port())) != std::string::npos);
  BOOST_TEST(err.find("in use") != std::string::npos, err);
}

BOOST_AUTO_TEST_CASE(bad_flags_are_clear_errors) {
  const std::vector<std::vector<std::string>> bad = {
    {"--port", "-1"}, {"--port", "70000"}, {"--threads", "0"}, {"--max-connections", "abc"},
    {"--idle-timeout", "-2"}, {"--max-pending-bytes", "0"}, {"--log-level", "loud"}, {"--no-such-flag"}};
  for (const auto& args : bad) {
    auto [status, err] = run_to_exit(args);
    BOOST_TEST(status != 0, args[0]);
    BOOST_TEST(!err.empty(), args[0]);
  }
}

namespace {

/// Echoes until the server ends the stream; every echo received must match what was sent.
la::job<void> talk_until_closed(std::uint16_t port, std::size_t id, std::atomic<std::size_t>& echoes, bool& corrupt) {
  auto s = co_await la::open_connection("127.0.0.1", port);
  for (std::size_t r = 0;; ++r) {
    auto message = message_for(id, r, 4000);
    try {
      co_await s.write(message);
      auto back = co_await s.read_exactly(message.size());
      if (back != message)
        corrupt = true;
      echoes.fetch_add(1);
    } catch (const la::incomplete_read& e) {
      // The shutdown ended the stream mid-echo: what did come back must be a prefix of the message.
      if (message.compare(0, e.partial().size(), e.partial()) != 0)
        corrupt = true;
      co_return;
    } catch (const la::connection_error&) {
      co_return;
    }
  }
}

} // namespace

LIBACTOR_TEST_CASE_WITH(sigterm_during_traffic_finishes_echoes_and_exits_zero, client_config()) {
  echo_process server({"--threads", "2"});
  std::atomic<std::size_t> echoes{0};
  bool corrupt = false;
  std::vector<la::handle<void>> clients;
  for (std::size_t i = 0; i < 10; ++i)
    clients.push_back(la::spawn(talk_until_closed(server.port(), i, echoes, corrupt)));
  while (echoes.load() < 2000)
    co_await la::yield();
  auto status = co_await la::to_thread([&server] { return server.stop(SIGTERM); });
  for (auto& c : clients)
    co_await c;
  BOOST_TEST(status == 0);
  BOOST_TEST(!corrupt);
  BOOST_TEST(server.stderr_text().find("stopped: accepted=10 ") != std::string::npos, server.stderr_text());
}
