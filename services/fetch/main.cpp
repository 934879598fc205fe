// libactor-fetch: fetch URLs concurrently through one shared connection pool (docs/http.md).

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <sys/stat.h>

#include <CLI/CLI.hpp>

#include <libactor/run.hpp>

#include "fetch_run.hpp"

namespace {

std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0 + 0.5));
}

/// Appends the URLs of `in`, one per line; blank lines and #-comments are skipped.
void read_urls(std::istream& in, std::vector<std::string>& out) {
  std::string line;
  while (std::getline(in, line)) {
    auto begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos || line[begin] == '#')
      continue;
    auto end = line.find_last_not_of(" \t\r");
    out.push_back(line.substr(begin, end - begin + 1));
  }
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"libactor-fetch: fetch URLs concurrently and print one JSON line per URL\n"
               "(url, status, bytes, ms, error); reads URLs from arguments, -i FILE, or stdin"};
  fetch_cli::settings cfg;
  std::vector<std::string> args;
  std::string input;
  double total_s = 300, connect_s = 30, read_s = 60;
  unsigned retries = 0, threads = 0;
  bool insecure = false, no_progress = false;
  app.add_option("urls", args, "URLs to fetch");
  app.add_option("-i,--input", input, "file of URLs, one per line ('-': stdin)");
  app.add_option("-c,--concurrency", cfg.concurrency, "fetches in flight at once")
    ->check(CLI::Range(std::size_t{1}, std::size_t{100000}))->capture_default_str();
  app.add_option("--per-host", cfg.session.limit_per_host, "connections per host (0: no limit but --concurrency)")
    ->check(CLI::Range(std::size_t{0}, std::size_t{100000}))->capture_default_str();
  app.add_option("--timeout", total_s, "seconds a fetch may take in all (0: no limit)")
    ->check(CLI::Range(0.0, 86400.0))->capture_default_str();
  app.add_option("--connect-timeout", connect_s, "seconds to get a connection (0: no limit)")
    ->check(CLI::Range(0.0, 86400.0))->capture_default_str();
  app.add_option("--read-timeout", read_s, "seconds without data before a fetch fails (0: no limit)")
    ->check(CLI::Range(0.0, 86400.0))->capture_default_str();
  app.add_option("--retries", retries, "retries with exponential backoff for failed idempotent fetches")
    ->check(CLI::Range(0u, 100u))->capture_default_str();
  app.add_option("--max-redirects", cfg.session.max_redirects, "redirects followed per fetch (0: none)")
    ->check(CLI::Range(0u, 1000u))->capture_default_str();
  app.add_option("-o,--output-dir", cfg.output_dir, "save each body into this directory (it must exist)")
    ->check(CLI::ExistingDirectory);
  app.add_option("--ca-file", cfg.session.ca_file, "PEM file of certificate authorities to trust")
    ->check(CLI::ExistingFile);
  app.add_flag("--insecure", insecure, "do not verify TLS certificates");
  app.add_flag("--allow-failures", cfg.allow_failures, "exit 0 even when some fetches failed");
  app.add_flag("--no-progress", no_progress, "no progress bar (drawn only when stderr is a terminal)");
  app.add_option("--threads", threads, "worker and I/O threads (0: one per core)")->check(CLI::Range(0u, 1024u));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }

  cfg.urls = std::move(args);
  if (!input.empty() || cfg.urls.empty()) {
    if (input.empty() || input == "-") {
      read_urls(std::cin, cfg.urls);
    } else {
      std::ifstream file(input);
      if (!file) {
        std::fprintf(stderr, "libactor-fetch: cannot read %s\n", input.c_str());
        return 2;
      }
      read_urls(file, cfg.urls);
    }
  }
  cfg.session.timeouts = {to_ms(total_s), to_ms(connect_s), to_ms(read_s)};
  cfg.session.retry.attempts = retries;
  cfg.session.verify_tls = !insecure;
  // The pool never holds more connections than there are fetches in flight.
  cfg.session.limit = cfg.concurrency;
  cfg.progress = !no_progress;

  libactor::runtime_config runtime;
  runtime.threads = threads;
  runtime.io_threads = threads;  // fetches run on the I/O threads, beside their sockets
  return libactor::run(fetch_cli::run(cfg), runtime);
}
