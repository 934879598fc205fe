// Runtime configuration from the environment and the command line.

#include <libactor/errors.hpp>
#include <libactor/run.hpp>

#include <charconv>
#include <cstdlib>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace libactor {

namespace {

constexpr unsigned max_threads = 1024;

template <class Int>
Int parse_int(std::string_view text, std::string_view setting, Int lo, Int hi) {
  Int value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < lo || value > hi)
    throw config_error("libactor: invalid " + std::string(setting) + " '" + std::string(text) + "': expected an integer in [" +
                       std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return value;
}

scheduler_policy parse_policy(std::string_view text, std::string_view setting) {
  if (text == "stealing")
    return scheduler_policy::work_stealing;
  if (text == "sharing")
    return scheduler_policy::work_sharing;
  throw config_error("libactor: invalid " + std::string(setting) + " '" + std::string(text) +
                     "': expected 'stealing' or 'sharing'");
}

void apply_threads(runtime_config& c, std::string_view v, std::string_view setting) {
  c.threads = parse_int<unsigned>(v, setting, 0, max_threads);
}
void apply_grace(runtime_config& c, std::string_view v, std::string_view setting) {
  c.shutdown_grace = std::chrono::milliseconds{parse_int<long long>(v, setting, 0, 3'600'000)};
}

void apply_blocking(runtime_config& c, std::string_view v, std::string_view setting) {
  c.blocking_threads = parse_int<unsigned>(v, setting, 1, max_threads);
}
void apply_cpu(runtime_config& c, std::string_view v, std::string_view setting) {
  c.cpu_threads = parse_int<unsigned>(v, setting, 0, max_threads);
}
void apply_io(runtime_config& c, std::string_view v, std::string_view setting) {
  c.io_threads = parse_int<unsigned>(v, setting, 0, max_threads);
}

} // namespace

runtime_config parse_config(int argc, const char* const* argv, runtime_config config) {
  if (const char* v = std::getenv("LIBACTOR_THREADS"))
    apply_threads(config, v, "LIBACTOR_THREADS");
  if (const char* v = std::getenv("LIBACTOR_POLICY"))
    config.policy = parse_policy(v, "LIBACTOR_POLICY");
  if (const char* v = std::getenv("LIBACTOR_SHUTDOWN_GRACE_MS"))
    apply_grace(config, v, "LIBACTOR_SHUTDOWN_GRACE_MS");
  if (const char* v = std::getenv("LIBACTOR_BLOCKING_THREADS"))
    apply_blocking(config, v, "LIBACTOR_BLOCKING_THREADS");
  if (const char* v = std::getenv("LIBACTOR_CPU_THREADS"))
    apply_cpu(config, v, "LIBACTOR_CPU_THREADS");
  if (const char* v = std::getenv("LIBACTOR_IO_THREADS"))
    apply_io(config, v, "LIBACTOR_IO_THREADS");
  if (argc <= 1 || argv == nullptr)
    return config;

  // Only --libactor-* flags are ours; everything else belongs to the program.
  CLI::App app{"libactor runtime options"};
  app.allow_extras();
  app.set_help_flag();
  std::string threads, policy, grace, blocking, cpu, io;
  app.add_option("--libactor-threads", threads, "worker threads (0 = one per core)");
  app.add_option("--libactor-policy", policy, "scheduler policy: stealing or sharing");
  app.add_option("--libactor-shutdown-grace-ms", grace, "shutdown grace period in milliseconds");
  app.add_option("--libactor-blocking-threads", blocking, "threads of the to_thread pool");
  app.add_option("--libactor-cpu-threads", cpu, "threads of the to_cpu_pool pool (0 = one per core)");
  app.add_option("--libactor-io-threads", io, "I/O threads that run sockets and connection jobs (0 = one per core)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    throw config_error(std::string("libactor: ") + e.what());
  }
  for (const auto& extra : app.remaining()) {
    if (extra.rfind("--libactor-", 0) == 0)
      throw config_error("libactor: unknown option '" + extra +
                         "' (known: --libactor-threads, --libactor-policy, --libactor-shutdown-grace-ms, "
                         "--libactor-blocking-threads, --libactor-cpu-threads, --libactor-io-threads)");
  }
  if (app.count("--libactor-threads"))
    apply_threads(config, threads, "--libactor-threads");
  if (app.count("--libactor-policy"))
    config.policy = parse_policy(policy, "--libactor-policy");
  if (app.count("--libactor-shutdown-grace-ms"))
    apply_grace(config, grace, "--libactor-shutdown-grace-ms");
  if (app.count("--libactor-blocking-threads"))
    apply_blocking(config, blocking, "--libactor-blocking-threads");
  if (app.count("--libactor-cpu-threads"))
    apply_cpu(config, cpu, "--libactor-cpu-threads");
  if (app.count("--libactor-io-threads"))
    apply_io(config, io, "--libactor-io-threads");
  return config;
}

} // namespace libactor
