// libactor-echo: a TCP echo server on libactor's streams (docs/networking.md).

#include <cstdio>
#include <string>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <libactor/run.hpp>

#include "echo_service.hpp"

namespace {

/// Many connections need many descriptors: take the whole hard limit, as nginx's
/// worker_rlimit_nofile would be set to.
void raise_open_file_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
      spdlog::warn("cannot raise the open-file limit to {}", lim.rlim_max);
  }
}

std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0 + 0.5));
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"libactor-echo: a TCP echo server built on libactor"};
  echo::settings cfg;
  int port = cfg.port;
  double idle_s = 60, shutdown_s = 5;
  std::string level = "info", handlers = "io", policy = "stealing";
  app.add_option("--host", cfg.host, "address to listen on")->capture_default_str();
  app.add_option("--port", port, "port to listen on; 0 picks a free one (printed)")
    ->check(CLI::Range(0, 65535))->capture_default_str();
  app.add_option("--threads", cfg.threads, "I/O threads that run the connections")
    ->check(CLI::Range(1u, 1024u))->capture_default_str();
  app.add_option("--max-connections", cfg.max_connections,
                 "open connections beyond which new ones are accepted and closed at once")
    ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))->capture_default_str();
  app.add_option("--idle-timeout", idle_s, "seconds without traffic before a connection is closed (0: never)")
    ->check(CLI::Range(0.0, 86400.0 * 365))->capture_default_str();
  app.add_option("--max-pending-bytes", cfg.max_pending_bytes,
                 "per connection: echoed bytes not yet taken by the peer before reading stops")
    ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 32))->capture_default_str();
  app.add_option("--shutdown-timeout", shutdown_s, "seconds in-flight echoes get after SIGINT/SIGTERM")
    ->check(CLI::Range(0.0, 3600.0))->capture_default_str();
  app.add_option("--handlers", handlers,
                 "where connection jobs run: io (their socket's I/O thread) or workers (CAF's scheduler); for benchmarks")
    ->check(CLI::IsMember({"io", "workers"}))->capture_default_str();
  app.add_option("--scheduler-policy", policy, "CAF scheduler policy of the workers: stealing or sharing")
    ->check(CLI::IsMember({"stealing", "sharing"}))->capture_default_str();
  app.add_option("--log-level", level, "trace, debug, info, warn, error or off")
    ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  cfg.port = static_cast<std::uint16_t>(port);
  cfg.idle_timeout = to_ms(idle_s);
  cfg.shutdown_timeout = to_ms(shutdown_s);
  cfg.handlers_on_workers = handlers == "workers";

  spdlog::set_default_logger(spdlog::stderr_color_mt("echo"));
  spdlog::set_level(spdlog::level::from_str(level));  // also libactor's own logger
  raise_open_file_limit();

  libactor::runtime_config runtime;
  runtime.threads = cfg.threads;
  runtime.io_threads = cfg.threads;
  runtime.policy = policy == "sharing" ? libactor::scheduler_policy::work_sharing : libactor::scheduler_policy::work_stealing;
  // The runtime's own grace period comes after the service's: it only reaps what is left.
  runtime.shutdown_grace = std::chrono::milliseconds(2000);
  return libactor::run(echo::serve(cfg), runtime);
}
