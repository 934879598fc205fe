#pragma once
/// @file run.hpp
/// `run`: the entry point (asyncio.run). It owns the runtime — a CAF actor system and its
/// scheduler — runs `main` as the first job, and when `main` ends cancels and reaps every job still
/// alive, bounded by a grace period. It never hangs on a job that keeps suspending.
///
/// @code
/// libactor::job<int> amain() { co_return 0; }
/// int main(int argc, char** argv) { return libactor::run(amain(), argc, argv); }
/// @endcode

#include <chrono>
#include <string>

#include <libactor/job.hpp>

namespace libactor {

/// How the worker threads share ready jobs.
enum class scheduler_policy {
  work_stealing,  ///< each worker has a queue; idle workers steal (default)
  work_sharing,   ///< one shared queue
};

/// Runtime settings. Precedence, lowest first: these values, then LIBACTOR_* environment variables,
/// then --libactor-* command-line flags (when run gets argc/argv).
struct runtime_config {
  /// Worker threads; 0 means one per hardware core. Env LIBACTOR_THREADS, flag --libactor-threads.
  unsigned threads = 0;
  /// Env LIBACTOR_POLICY, flag --libactor-policy: "stealing" or "sharing".
  scheduler_policy policy = scheduler_policy::work_stealing;
  /// After main ends, how long jobs get to finish after being cancelled, and again after being
  /// killed. Env LIBACTOR_SHUTDOWN_GRACE_MS, flag --libactor-shutdown-grace-ms.
  std::chrono::milliseconds shutdown_grace{2000};
  /// Virtual time (Trio's MockClock with autojump), for tests: the clock stands still while any job
  /// runs and jumps to the next deadline as soon as every job is idle, so hours of timeouts pass in
  /// milliseconds and time-dependent behaviour is exact. Code only (no flag or environment).
  bool virtual_time = false;
  /// Threads of the blocking pool that runs `to_thread` calls (at most this many run at once; the
  /// default limiter admits 40). Env LIBACTOR_BLOCKING_THREADS, flag --libactor-blocking-threads.
  unsigned blocking_threads = 40;
  /// Threads of the CPU pool that runs `to_cpu_pool` calls, separate from the workers; 0 means one
  /// per hardware core. Env LIBACTOR_CPU_THREADS, flag --libactor-cpu-threads.
  unsigned cpu_threads = 0;
  /// I/O threads: each runs one Asio io_context that owns sockets, and the turns of the jobs
  /// homed on it (connection handlers, see server.hpp). Started on first network use; 0 means one
  /// per hardware core. Env LIBACTOR_IO_THREADS, flag --libactor-io-threads.
  unsigned io_threads = 0;
};

/// Applies LIBACTOR_* environment variables and then --libactor-* flags of argv on top of `base`.
/// Other arguments are left for the program. Throws config_error naming the bad setting.
runtime_config parse_config(int argc, const char* const* argv, runtime_config base = {});

/// The number of worker threads of the running runtime. Throws usage_error when none runs.
unsigned worker_threads();

/// Runs `main` in a fresh runtime and returns its value, or 1 if it threw (the exception is
/// logged). SIGINT and SIGTERM cancel main. Throws usage_error if a runtime is already running.
int run(job<int> main, runtime_config config = {});
/// As above; returns 0 when `main` succeeds.
int run(job<void> main, runtime_config config = {});
/// As above with the configuration from the environment and argv; a bad setting prints the
/// error to stderr and returns 2 without running main.
int run(job<int> main, int argc, char** argv);
int run(job<void> main, int argc, char** argv);

} // namespace libactor
