#pragma once
// The echo service: every connection echoes what it receives, with backpressure, until the peer
// closes, the connection idles out, or the service shuts down.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include <libactor/job.hpp>
#include <libactor/spawn.hpp>

namespace echo {

struct settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7000;
  unsigned threads = 1;
  std::size_t max_connections = 10'000;
  std::chrono::milliseconds idle_timeout{60'000};  // 0: never
  std::size_t max_pending_bytes = 64 * 1024;
  std::chrono::milliseconds shutdown_timeout{5'000};
  bool handlers_on_workers = false;  // run connections on CAF's workers instead of the I/O threads
};

/// Serves until cancelled (SIGINT/SIGTERM), then shuts down gracefully. Returns the exit code:
/// 0 after a clean shutdown, 1 when the address cannot be bound.
libactor::job<int> serve(settings s);

} // namespace echo
