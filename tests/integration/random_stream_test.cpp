// libactor-echo echoes random byte streams byte-exact: 4 connections carry 50 MiB in total, written
// in chunks of random sizes (1 byte .. 64 KiB) with random contents, and read back in reads of
// random sizes. Each connection has a writer thread and a reader thread, so that neither side's
// backpressure can deadlock the exchange; the reader regenerates the same stream from the seed and
// compares every byte, and after the writer's shutdown it must see the end of the stream exactly
// at the last byte. The seed is printed (and LIBACTOR_TEST_SEED=<n> replays one).
// LIBACTOR_TEST_SCALE scales the 50 MiB.
#define BOOST_TEST_MODULE random_stream
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <random>

#include "support/server_process.hpp"
#include "support/socket_client.hpp"

using namespace integration;

namespace {

/// splitmix64: fast enough in a Debug build for tens of MiB.
struct prng {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::size_t between(std::size_t lo, std::size_t hi) { return lo + next() % (hi - lo + 1); }
};

/// The contents of one connection's stream: the same bytes however the stream is cut into chunks.
class byte_stream {
public:
  explicit byte_stream(std::uint64_t seed) : rng_{seed} {}
  void fill(char* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (left_ == 0) {
        word_ = rng_.next();
        left_ = 8;
      }
      out[i] = static_cast<char>(word_ & 0xff);
      word_ >>= 8;
      --left_;
    }
  }

private:
  prng rng_;
  std::uint64_t word_ = 0;
  int left_ = 0;
};

std::uint64_t pick_seed() {
  if (const char* s = std::getenv("LIBACTOR_TEST_SEED"))
    return std::strtoull(s, nullptr, 10);
  return (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
}

constexpr std::size_t max_chunk = 64 * 1024;

void write_stream(client& c, std::uint64_t seed, std::size_t total) {
  byte_stream contents(seed);
  prng sizes{seed ^ 0x5555};
  std::string chunk(max_chunk, '\0');
  for (std::size_t sent = 0; sent < total;) {
    auto n = std::min(sizes.between(1, max_chunk), total - sent);
    contents.fill(chunk.data(), n);
    c.send_all(std::string_view(chunk.data(), n));
    sent += n;
  }
  c.shutdown_send();
}

void read_and_compare(client& c, std::uint64_t seed, std::size_t total) {
  byte_stream expected(seed);
  prng sizes{seed ^ 0xaaaa};
  std::string got(max_chunk, '\0'), want(max_chunk, '\0');
  std::size_t received = 0;
  for (;;) {
    auto n = c.recv_some(got.data(), sizes.between(1, max_chunk));
    if (n == 0)
      break;
    if (received + n > total)
      throw io_error("more bytes echoed than sent: " + std::to_string(received + n) + " > " + std::to_string(total));
    expected.fill(want.data(), n);
    if (std::memcmp(got.data(), want.data(), n) != 0)
      throw io_error("wrong echo at offset " + std::to_string(received) + " + " +
                     first_difference(std::string_view(want.data(), n), std::string_view(got.data(), n)));
    received += n;
  }
  if (received != total)
    throw io_error("end of stream after " + std::to_string(received) + " of " + std::to_string(total) + " bytes");
}

} // namespace

BOOST_AUTO_TEST_CASE(random_streams_are_echoed_byte_exact) {
  const std::uint64_t seed = pick_seed();
  BOOST_TEST_MESSAGE("seed " << seed << " (replay with LIBACTOR_TEST_SEED=" << seed << ")");
  const std::size_t connections = 4;
  const std::size_t total = scaled(50ull << 20, 1 << 20);
  server_process server({"--threads", "2"});

  failures log;
  std::vector<client> clients;
  clients.reserve(connections);  // the threads hold pointers to them
  std::vector<std::thread> threads;
  prng lengths{seed};
  std::size_t left = total;
  for (std::size_t i = 0; i < connections; ++i) {
    // Random shares of the total, each at least a quarter of an equal share.
    auto share = i + 1 == connections ? left : std::min(left, lengths.between(total / connections / 4,
                                                                              total / connections * 7 / 4));
    left -= share;
    clients.emplace_back(server.port());
    auto* c = &clients.back();
    auto stream_seed = seed + i;
    auto name = "seed " + std::to_string(seed) + ", connection " + std::to_string(i);
    threads.push_back(client_thread(log, name + " writer", [=] { write_stream(*c, stream_seed, share); }));
    threads.push_back(client_thread(log, name + " reader", [=] { read_and_compare(*c, stream_seed, share); }));
    BOOST_TEST_MESSAGE("connection " << i << ": " << share << " bytes");
  }
  for (auto& t : threads)
    t.join();
  BOOST_REQUIRE_MESSAGE(log.count() == 0, log.text());
  BOOST_TEST(server.stop() == 0);
}
