#include "echo_load.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include <libactor/deadline.hpp>
#include <libactor/errors.hpp>
#include <libactor/gather.hpp>
#include <libactor/open_connection.hpp>
#include <libactor/spawn.hpp>
#include <libactor/time.hpp>

namespace la = libactor;

namespace load {

namespace {

using steady = std::chrono::steady_clock;

/// Shared by all connections. Messages are slices of one random pool at random offsets, so every
/// request carries different bytes without generating them per request.
struct shared_state {
  explicit shared_state(const echo_settings& s) : cfg(s), pool(s.size + 64 * 1024) {
    std::mt19937_64 rng(s.seed);
    for (auto& b : pool)
      b = static_cast<std::byte>(rng());
  }
  echo_settings cfg;
  std::vector<std::byte> pool;
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> budget{0};  // requests left in count mode
  std::atomic<std::uint64_t> done{0};
  std::atomic<std::uint64_t> errors{0};

  /// Counts an error; prints the first few (a dead server would otherwise print one per connection).
  void report(unsigned connection, const char* what) {
    auto n = errors.fetch_add(1, std::memory_order_relaxed);
    if (n < 10)
      std::fprintf(stderr, "libactor-load: connection %u: %s\n", connection, what);
    else if (n == 10)
      std::fprintf(stderr, "libactor-load: more errors (counted in the summary, not printed)\n");
  }
};

struct connection_result {
  std::vector<std::uint32_t> latency_ns;  // one per request (saturating at ~4.3 s)
  std::uint64_t bytes = 0;
};

la::job<connection_result> client(shared_state& st, unsigned index) {
  connection_result out;
  std::mt19937_64 rng(st.cfg.seed * 1'000'003 + index);
  std::vector<std::byte> reply(st.cfg.size);
  try {
    const la::connect_options connect{.timeout = std::chrono::seconds(10), .stream = {}};
    auto s = co_await la::open_connection(st.cfg.host, st.cfg.port, connect);
    for (;;) {
      if (st.stop.load(std::memory_order_relaxed))
        break;
      if (st.cfg.count != 0 && st.budget.fetch_sub(1, std::memory_order_relaxed) <= 0)
        break;
      std::size_t size = st.cfg.random ? 1 + rng() % st.cfg.size : st.cfg.size;
      std::size_t offset = rng() % (st.pool.size() - size);
      std::span<const std::byte> message{st.pool.data() + offset, size};
      std::span<std::byte> answer{reply.data(), size};
      auto t0 = steady::now();
      co_await s.write(message);
      co_await s.read_exactly(answer);
      auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now() - t0).count();
      if (std::memcmp(answer.data(), message.data(), size) != 0) {
        st.report(index, "the echo differs from what was sent");
        break;
      }
      out.latency_ns.push_back(static_cast<std::uint32_t>(std::min<std::int64_t>(ns, UINT32_MAX)));
      out.bytes += size;
      st.done.fetch_add(1, std::memory_order_relaxed);
    }
    co_await s.close();
  } catch (const std::exception& e) {
    st.report(index, e.what());
  }
  co_return out;
}

/// Stops the clients after the duration, printing a progress line every second on a TTY.
la::job<void> timekeeper(shared_state& st, steady::time_point start) {
  for (;;) {
    auto left = st.cfg.count != 0 ? std::chrono::milliseconds(1000)
                                  : std::chrono::duration_cast<std::chrono::milliseconds>(
                                      start + st.cfg.duration - steady::now());
    if (left.count() <= 0)
      break;
    co_await la::sleep(std::min(left, std::chrono::milliseconds(1000)));
    if (st.cfg.progress) {
      double s = std::chrono::duration<double>(steady::now() - start).count();
      auto n = st.done.load();
      std::fprintf(stderr, "\r%10llu requests  %10.0f req/s  %llu errors   ", static_cast<unsigned long long>(n),
                   n / s, static_cast<unsigned long long>(st.errors.load()));
    }
  }
  st.stop.store(true);
}

double percentile_us(std::vector<std::uint32_t>& v, double q) {
  if (v.empty())
    return 0;
  auto k = std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k] / 1000.0;
}

} // namespace

la::job<nlohmann::json> run_echo(echo_settings cfg) {
  shared_state st{cfg};
  st.budget = static_cast<std::int64_t>(cfg.count);
  auto start = steady::now();
  std::vector<la::handle<connection_result>> clients;
  for (unsigned i = 0; i < cfg.connections; ++i)
    clients.push_back(la::spawn(client(st, i), {.name = "load-client", .home = la::job_home::io_thread}));
  auto keeper = la::spawn(timekeeper(st, start));
  std::vector<std::uint32_t> latency;
  std::uint64_t bytes = 0;
  for (auto& c : clients) {
    auto r = co_await c;
    latency.insert(latency.end(), r.latency_ns.begin(), r.latency_ns.end());
    bytes += r.bytes;
  }
  double seconds = std::chrono::duration<double>(steady::now() - start).count();
  st.stop.store(true);
  keeper.cancel();
  try {
    co_await keeper;
  } catch (const la::cancelled&) {
  }
  if (cfg.progress)
    std::fputc('\n', stderr);
  auto requests = latency.size();
  nlohmann::json out = {{"requests", requests},
                        {"seconds", seconds},
                        {"req_per_s", requests / seconds},
                        {"mb_per_s", bytes / seconds / 1e6},
                        {"bytes", bytes},
                        {"errors", st.errors.load()},
                        {"connections", cfg.connections},
                        {"size", cfg.size},
                        {"random", cfg.random}};
  auto max_us = latency.empty() ? 0.0 : *std::max_element(latency.begin(), latency.end()) / 1000.0;
  out["latency_us"] = {{"p50", percentile_us(latency, 0.5)},
                       {"p99", percentile_us(latency, 0.99)},
                       {"p999", percentile_us(latency, 0.999)},
                       {"max", max_us}};
  co_return out;
}

} // namespace load
