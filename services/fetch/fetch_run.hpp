#pragma once
// The fetching part of libactor-fetch: workers asking one fetch_service, JSON lines out.

#include <cstddef>
#include <string>
#include <vector>

#include <libactor/http/options.hpp>
#include <libactor/job.hpp>

namespace fetch_cli {

struct settings {
  std::vector<std::string> urls;
  std::size_t concurrency = 10;
  libactor::http::session_options session;
  std::string output_dir;  // empty: bodies are counted, not saved
  bool progress = true;    // drawn only when stderr is a terminal
  bool allow_failures = false;
};

/// Fetches every URL; returns the process exit code (0: all succeeded or failures allowed, 1: some failed).
libactor::job<int> run(const settings& cfg);

} // namespace fetch_cli
