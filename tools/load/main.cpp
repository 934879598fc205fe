// libactor-load: load generators for libactor's services (docs/networking.md).
//
//   libactor-load echo --port 7000 --connections 100 --size 1024 --duration 5

#include <cstdio>
#include <iostream>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <libactor/run.hpp>

#include "echo_load.hpp"

namespace la = libactor;

namespace {

la::job<int> echo_main(load::echo_settings cfg) {
  auto summary = co_await load::run_echo(cfg);
  std::cout << summary.dump() << std::endl;
  co_return summary["errors"].get<std::uint64_t>() == 0 && summary["requests"].get<std::uint64_t>() > 0 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"libactor-load: load generators for libactor's services"};
  app.require_subcommand(1);
  auto* echo = app.add_subcommand("echo", "closed-loop echo clients that verify every echoed byte");
  load::echo_settings cfg;
  int port = cfg.port;
  double duration_s = 0;
  unsigned threads = 1;
  echo->add_option("--host", cfg.host, "server address")->capture_default_str();
  echo->add_option("--port", port, "server port")->check(CLI::Range(1, 65535))->capture_default_str();
  echo->add_option("--connections,-c", cfg.connections, "concurrent connections")
    ->check(CLI::Range(1u, 1'000'000u))->capture_default_str();
  echo->add_option("--size,-s", cfg.size, "message size in bytes (the maximum with --random)")
    ->check(CLI::Range(std::size_t{1}, std::size_t{64} << 20))->capture_default_str();
  auto* dur = echo->add_option("--duration,-d", duration_s, "seconds to run (default 5)")->check(CLI::Range(0.001, 86400.0));
  auto* cnt = echo->add_option("--count,-n", cfg.count, "total requests over all connections")
                ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 50));
  dur->excludes(cnt);
  echo->add_option("--threads,-t", threads, "I/O threads that run the connections")
    ->check(CLI::Range(1u, 1024u))->capture_default_str();
  echo->add_flag("--random", cfg.random, "random message sizes in 1..size");
  echo->add_option("--seed", cfg.seed, "seed of the message contents and sizes")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  cfg.port = static_cast<std::uint16_t>(port);
  if (duration_s > 0)
    cfg.duration = std::chrono::milliseconds(static_cast<long long>(duration_s * 1000));
  cfg.progress = isatty(STDERR_FILENO) != 0;
  la::runtime_config runtime;
  runtime.threads = threads;
  runtime.io_threads = threads;
  return la::run(echo_main(cfg), runtime);
}
