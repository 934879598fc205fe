// libactor-echo echoes random byte streams of random chunk sizes byte-exact: on each connection one
// job writes while another reads and compares, so backpressure never deadlocks the exchange.
// 64 MiB by default; LIBACTOR_ECHO_STREAM_MB=1024 makes it the long (1 GiB) bench mode.
#define BOOST_TEST_MODULE echo_stream
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <random>
#include <vector>

#include "support/echo_client.hpp"

using namespace echo_test;

namespace {

/// The byte stream of one connection: chunk sizes and contents from one seeded generator.
struct stream_source {
  stream_source(std::uint64_t seed) : rng(seed) {}
  std::string next(std::size_t max) {
    std::string chunk(1 + rng() % max, '\0');
    for (auto& c : chunk)
      c = static_cast<char>(rng());
    return chunk;
  }
  std::mt19937_64 rng;
};

la::job<void> writer(la::stream& s, std::uint64_t seed, std::size_t total) {
  stream_source src(seed);
  for (std::size_t sent = 0; sent < total;) {
    auto chunk = src.next(std::min<std::size_t>(64 * 1024, total - sent));
    co_await s.write(chunk);
    sent += chunk.size();
  }
  co_await s.shutdown_send();
}

/// Reads in chunks of its own random sizes and compares with the regenerated stream.
la::job<std::size_t> reader(la::stream& s, std::uint64_t seed, std::size_t total) {
  stream_source expected_src(seed);
  std::mt19937_64 sizes(seed ^ 0x5eed);
  std::string expected;
  std::size_t matched = 0;
  for (;;) {
    auto got = co_await s.read_some(1 + sizes() % (64 * 1024));
    if (got.empty())
      break;
    while (expected.size() < got.size() && matched + expected.size() < total)
      expected += expected_src.next(std::min<std::size_t>(64 * 1024, total - matched - expected.size()));
    if (expected.compare(0, got.size(), got) != 0)
      co_return matched;  // the first difference ends the check
    expected.erase(0, got.size());
    matched += got.size();
  }
  co_return matched;
}

la::job<std::size_t> one_connection(std::uint16_t port, std::uint64_t seed, std::size_t total) {
  auto s = co_await la::open_connection("127.0.0.1", port);
  auto w = la::spawn(writer(s, seed, total));
  auto matched = co_await reader(s, seed, total);
  co_await w;
  co_await s.close();
  co_return matched;
}

} // namespace

LIBACTOR_TEST_CASE_WITH(random_byte_streams_are_echoed_exactly, client_config()) {
  std::size_t megabytes = 64;
  if (const char* v = std::getenv("LIBACTOR_ECHO_STREAM_MB"))
    megabytes = std::strtoul(v, nullptr, 10);
  const std::uint64_t seed = std::random_device{}();
  BOOST_TEST_MESSAGE("seed " << seed << ", " << megabytes << " MiB over 8 connections");
  echo_process server({"--threads", "2"});
  const std::size_t per_connection = megabytes * 1024 * 1024 / 8;
  std::vector<la::handle<std::size_t>> conns;
  for (std::uint64_t i = 0; i < 8; ++i)
    conns.push_back(la::spawn(one_connection(server.port(), seed + i, per_connection), {.home = la::job_home::io_thread}));
  std::size_t total = 0;
  for (auto& c : conns) {
    auto matched = co_await c;
    BOOST_TEST(matched == per_connection, "seed " << seed);
    total += matched;
  }
  BOOST_TEST(total >= 50u * 1000 * 1000);
  BOOST_TEST(server.stop() == 0);
}
