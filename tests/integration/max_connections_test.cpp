// libactor-echo --max-connections 5: five open clients are served; further connections are accepted
// and closed at once — a client that sends nothing sees a clean end of stream, one that sends sees
// the end (or a reset) and never an echo — while the five keep being served. When one of the five
// leaves, a new client is served in its place. The exit summary after SIGTERM counts exactly the
// rejections the clients saw.
#define BOOST_TEST_MODULE max_connections
#include <boost/test/unit_test.hpp>

#include <optional>

#include "support/server_process.hpp"
#include "support/socket_client.hpp"

using namespace integration;

namespace {

/// Connects and tries one echo: true when served; false when the server closed the connection
/// without echoing a byte. Anything else (a partial or wrong echo) throws.
bool try_echo(std::uint16_t port, std::uint64_t id, std::optional<client>* keep = nullptr) {
  client c(port);
  auto m = message(id, 1000);
  try {
    c.send_all(m);
  } catch (const io_error&) {
    // The server's close may already have been answered by a reset: nothing was echoed.
  }
  std::string got;
  int error = 0;
  for (;;) {
    char buf[4096];
    auto n = ::recv(c.fd(), buf, sizeof buf, 0);
    if (n <= 0) {
      error = n == 0 ? 0 : errno;
      break;
    }
    got.append(buf, static_cast<std::size_t>(n));
    if (got.size() >= m.size())
      break;
  }
  if (got.empty() && (error == 0 || error == ECONNRESET))
    return false;
  if (got != m)
    throw io_error("neither served nor rejected: " + first_difference(m, got) + ", " + client::error_text(error));
  if (keep != nullptr)
    keep->emplace(std::move(c));
  return true;
}

} // namespace

BOOST_AUTO_TEST_CASE(connections_beyond_the_limit_are_closed_at_once_and_counted) {
  server_process server({"--max-connections", "5"});
  const auto base_fds = server.fd_count();
  std::vector<client> served;
  for (std::uint64_t i = 0; i < 5; ++i) {
    served.emplace_back(server.port());
    served.back().expect_echo(message(i, 500 + i));
  }

  std::size_t rejected = 0;
  for (std::uint64_t i = 0; i < 4; ++i) {
    // Sends nothing: the server's close is a clean end of stream, with no byte before it.
    client extra(server.port());
    auto end = extra.read_to_end();
    BOOST_TEST(end.data.empty());
    BOOST_TEST(end.error == 0, client::error_text(end.error));
    ++rejected;
  }
  for (std::uint64_t i = 0; i < 4; ++i) {
    BOOST_TEST(!try_echo(server.port(), 100 + i), "connection #" << 6 + i << " was served");
    ++rejected;
  }
  for (std::uint64_t i = 0; i < 5; ++i)
    served[i].expect_echo(message(200 + i, 3000));

  // One leaves; its place is free once the server has closed its side (asynchronously: a
  // connection that comes before that is rejected, and counted as such).
  served.erase(served.begin());
  server.wait_for_fds_at_most(base_fds + 4);
  std::optional<client> newcomer;
  bool in = false;
  for (int attempt = 0; attempt < 100 && !in; ++attempt) {
    in = try_echo(server.port(), 300 + static_cast<std::uint64_t>(attempt), &newcomer);
    rejected += in ? 0 : 1;
  }
  BOOST_REQUIRE(in);
  newcomer->expect_echo(message(400, 2000));

  BOOST_TEST(server.stop() == 0);
  for (auto& c : served) {
    auto end = c.read_to_end();  // the shutdown closed them: no stray bytes
    BOOST_TEST(end.data.empty());
  }
  auto counts = server.exit_summary();
  BOOST_REQUIRE_MESSAGE(counts.has_value(), "no summary line in stderr:\n" << server.stderr_text());
  BOOST_TEST_MESSAGE("rejections seen by the clients: " << rejected);
  BOOST_TEST(counts->rejected == rejected);
  BOOST_TEST(counts->accepted == 6u);
  BOOST_TEST(counts->errors == 0u);
}
