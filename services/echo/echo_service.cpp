#include "echo_service.hpp"

#include <array>
#include <cstdio>
#include <malloc.h>
#include <span>

#include <spdlog/spdlog.h>

#include <libactor/errors.hpp>
#include <libactor/server.hpp>
#include <libactor/shield.hpp>
#include <libactor/spawn.hpp>
#include <libactor/time.hpp>

namespace la = libactor;

namespace echo {

namespace {

/// Echoes until end of stream. `write` waits while the peer has not taken max_pending_bytes of
/// earlier echoes, so a client that sends without reading stops being read: memory stays bounded.
la::job<void> echo_connection(la::stream& s) {
  std::array<std::byte, 8192> buffer;
  while (auto n = co_await s.read_some(buffer))
    co_await s.write(std::span{buffer}.first(n));
}

/// Gives memory freed by closed connections back to the OS once none is open: glibc keeps freed
/// heap pages otherwise, and a burst of 10,000 connections would pin its peak RSS for good.
la::job<void> trim_memory_when_idle(const la::server& server) {
  std::uint64_t trimmed_at = 0;
  for (;;) {
    co_await la::sleep(std::chrono::seconds(1));
    auto st = server.stats();
    if (st.active == 0 && st.accepted != trimmed_at) {
      trimmed_at = st.accepted;
      malloc_trim(0);
    }
  }
}

/// Waits for a cancelled job to end.
la::job<void> until_ended(la::handle<void> job) {
  try {
    co_await job;
  } catch (const la::cancelled&) {
  }
}

} // namespace

la::job<int> serve(settings cfg) {
  la::serve_options options;
  options.max_connections = cfg.max_connections;
  options.idle_timeout = cfg.idle_timeout;
  options.stream.high_water = cfg.max_pending_bytes;
  options.stream.low_water = cfg.max_pending_bytes / 4;
  options.handlers = cfg.handlers_on_workers ? la::job_home::workers : la::job_home::io_thread;
  std::optional<la::server> server;
  try {
    server.emplace(co_await la::start_server(echo_connection, cfg.host, cfg.port, options));
  } catch (const la::connection_error& e) {
    std::fprintf(stderr, "libactor-echo: %s\n", e.what());
    co_return 1;
  }
  std::printf("libactor-echo listening on %s:%u\n", server->address().c_str(), server->port());
  std::fflush(stdout);
  spdlog::info("serving on {}:{} with {} I/O thread(s), max {} connections, idle timeout {} ms, max pending {} bytes",
               server->address(), server->port(), cfg.threads, cfg.max_connections, cfg.idle_timeout.count(),
               cfg.max_pending_bytes);
  auto trimmer = la::spawn(trim_memory_when_idle(*server), {.name = "memory-trimmer"});
  try {
    co_await server->serve_forever();
  } catch (const la::cancelled&) {
    // SIGINT/SIGTERM cancelled main: shut down gracefully below (outside the handler).
  }
  // Await its end: a trimmer whose sleep had just ended would otherwise still read `server`.
  trimmer.cancel();
  co_await la::shield(until_ended(std::move(trimmer)));
  spdlog::info("shutting down: {} connection(s) open, {} ms to finish", server->stats().active,
               cfg.shutdown_timeout.count());
  co_await la::shield(server->shutdown(cfg.shutdown_timeout));
  // The summary is printed whatever the log level: scripts and tests read it.
  auto st = server->stats();
  std::fprintf(stderr, "libactor-echo: stopped: accepted=%llu rejected=%llu idle_closed=%llu resets=%llu errors=%llu\n",
               static_cast<unsigned long long>(st.accepted), static_cast<unsigned long long>(st.rejected),
               static_cast<unsigned long long>(st.idle_closed), static_cast<unsigned long long>(st.reset),
               static_cast<unsigned long long>(st.failed));
  co_return 0;
}

} // namespace echo
