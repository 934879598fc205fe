#pragma once
// The closed-loop echo load: N connections, each sending a message, awaiting its full echo and
// checking every byte before sending the next.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include <libactor/job.hpp>

namespace load {

struct echo_settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7000;
  unsigned connections = 100;
  std::size_t size = 1024;
  std::chrono::milliseconds duration{5000};  // used when count == 0
  std::uint64_t count = 0;                   // total requests over all connections
  bool random = false;                       // random sizes 1..size
  std::uint64_t seed = 1;
  bool progress = false;                     // a live line on stderr
};

/// Runs the load and returns the summary (requests, req_per_s, mb_per_s, latency_us, errors...).
libactor::job<nlohmann::json> run_echo(echo_settings s);

} // namespace load
