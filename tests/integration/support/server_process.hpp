#pragma once
// The real libactor-echo binary as a child process, and what a black-box test sees of it from
// outside: its port (from the one line it prints on stdout), its stderr (kept in a file), its exit
// status, its open descriptors and its resident memory (/proc/PID). Every wait here is bounded: a
// server that hangs fails the test instead of hanging it.

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <optional>
#include <poll.h>
#include <regex>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

extern char** environ;

namespace integration {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

/// LIBACTOR_TEST_SCALE (default 1) multiplies the counts of the heavier tests, so that sanitizer
/// builds may run them smaller; the defaults are the numbers the tests are specified with.
inline double test_scale() {
  const char* s = std::getenv("LIBACTOR_TEST_SCALE");
  double v = s != nullptr ? std::atof(s) : 1.0;
  return v > 0 ? v : 1.0;
}
inline std::size_t scaled(std::size_t n, std::size_t at_least = 1) {
  auto v = static_cast<std::size_t>(static_cast<double>(n) * test_scale());
  return v < at_least ? at_least : v;
}

/// Whether this build runs under a sanitizer (the tests and the server are built alike). Their
/// allocators keep freed memory (ASan's quarantine) and add shadow memory, so resident-memory
/// bounds are reported but not asserted there.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool sanitized = true;
#else
inline constexpr bool sanitized = false;
#endif

/// Raises this process's soft RLIMIT_NOFILE to the hard limit: thousands of client sockets.
inline void raise_nofile() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}
inline std::size_t nofile_limit() {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  return static_cast<std::size_t>(lim.rlim_cur);
}

/// Waits until `condition()` holds, checking it every few milliseconds, for at most `limit`.
/// Returns whether it held. For conditions only observable by polling (/proc, waitpid).
template <class Condition>
bool wait_until(Condition condition, std::chrono::milliseconds limit = 60s) {
  auto deadline = steady::now() + limit;
  for (;;) {
    if (condition())
      return true;
    if (steady::now() >= deadline)
      return false;
    std::this_thread::sleep_for(5ms);
  }
}

/// The counters of the summary line the server logs at exit.
struct summary {
  std::uint64_t accepted = 0, rejected = 0, idle_closed = 0, resets = 0, errors = 0;
};

/// Parses `accepted=N rejected=N idle_closed=N resets=N errors=N` out of a server's stderr.
inline std::optional<summary> parse_summary(const std::string& text) {
  static const std::regex line(R"(accepted=(\d+) rejected=(\d+) idle_closed=(\d+) resets=(\d+) errors=(\d+))");
  std::smatch m;
  if (!std::regex_search(text, m, line))
    return std::nullopt;
  return summary{std::stoull(m[1]), std::stoull(m[2]), std::stoull(m[3]), std::stoull(m[4]), std::stoull(m[5])};
}

/// The exit code reported for a process that did not exit in time and had to be killed.
inline constexpr int killed_after_limit = -1;

namespace detail {

inline std::filesystem::path temp_file(const char* what) {
  static int counter = 0;
  return std::filesystem::temp_directory_path() /
         ("libactor-integration-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + "-" + what);
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// posix_spawn with stdout and stderr redirected as `actions` says; throws when it cannot start.
inline pid_t spawn(std::vector<std::string> args, posix_spawn_file_actions_t& actions) {
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  if (rc != 0)
    throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(rc));
  return pid;
}

/// Exit code, or 128 + signal number for a process killed by a signal (as a shell reports it).
inline int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

/// Waits (bounded) for `pid` to exit; kills it when it does not. Returns its exit code, or
/// killed_after_limit.
inline int reap(pid_t pid, std::chrono::milliseconds limit) {
  int status = 0;
  pid_t done = 0;
  bool exited = wait_until([&] { return (done = waitpid(pid, &status, WNOHANG)) != 0; }, limit);
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return killed_after_limit;
  }
  if (done < 0)
    return killed_after_limit;
  return exit_code(status);
}

} // namespace detail

/// A running libactor-echo. The constructor returns once the server has printed its listening
/// line (it then accepts connections); the destructor kills a server the test did not stop.
class server_process {
public:
  /// Starts LIBACTOR_ECHO_BIN with `flags`, plus `--port 0` unless the flags name a port.
  explicit server_process(std::vector<std::string> flags) : stderr_path_(detail::temp_file("stderr.log")) {
    std::vector<std::string> args{LIBACTOR_ECHO_BIN};
    bool has_port = false;
    for (auto& f : flags)
      has_port = has_port || f == "--port";
    if (!has_port)
      args.insert(args.end(), {"--port", "0"});
    args.insert(args.end(), flags.begin(), flags.end());

    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe2 failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    try {
      pid_ = detail::spawn(args, actions);
    } catch (...) {
      posix_spawn_file_actions_destroy(&actions);
      close(out[0]);
      close(out[1]);
      throw;
    }
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    stdout_fd_ = out[0];  // kept open: the server may write to its stdout again
    try {
      port_ = read_port();
    } catch (...) {
      kill_now();
      throw;
    }
  }

  ~server_process() {
    kill_now();
    std::error_code ignored;
    std::filesystem::remove(stderr_path_, ignored);
  }
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  /// The first line the server printed on stdout.
  const std::string& listening_line() const { return line_; }

  /// Whether the process is still running (not exited, not reaped).
  bool running() {
    if (pid_ < 0)
      return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == 0)
      return true;
    exit_code_ = detail::exit_code(status);
    pid_ = -1;
    return false;
  }

  /// Sends `sig` (unless signal() did) and waits (at most `limit`) for the exit. Returns the exit
  /// code (128 + signal when killed by one), or killed_after_limit (-1) when it did not exit in time.
  int stop(int sig = SIGTERM, std::chrono::milliseconds limit = 60s) {
    if (!running())
      return exit_code_;
    if (!signalled_)  // a second signal could arrive after the server restored its signal mask
      kill(pid_, sig);
    exit_code_ = detail::reap(pid_, limit);
    pid_ = -1;
    return exit_code_;
  }

  /// Sends `sig` and returns at once (stop() then waits for the exit).
  void signal(int sig) {
    if (pid_ > 0)
      kill(pid_, sig);
    signalled_ = true;
  }

  std::string stderr_text() const { return detail::read_file(stderr_path_); }
  std::optional<summary> exit_summary() const { return parse_summary(stderr_text()); }

  /// Descriptors the server has open now.
  std::size_t fd_count() const {
    std::size_t n = 0;
    std::error_code ec;
    for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid_) + "/fd", ec), end; !ec && it != end;
         it.increment(ec))
      ++n;
    return n;
  }

  /// The server's resident memory now, in KiB (VmRSS).
  long rss_kib() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("VmRSS:", 0) == 0)
        return std::strtol(line.c_str() + 6, nullptr, 10);
    return -1;
  }

  /// Waits (at most `limit`) until the server holds at most `fds` descriptors: closing a
  /// connection is asynchronous on its side. Returns the last count seen.
  std::size_t wait_for_fds_at_most(std::size_t fds, std::chrono::milliseconds limit = 60s) const {
    std::size_t now = 0;
    wait_until([&] { return (now = fd_count()) <= fds; }, limit);
    return now;
  }

private:
  std::uint16_t read_port() {
    auto deadline = steady::now() + 30s;
    while (line_.find('\n') == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()).count();
      pollfd p{stdout_fd_, POLLIN, 0};
      if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0)
        throw std::runtime_error("libactor-echo printed no listening line within 30 s; stderr:\n" + stderr_text());
      char buf[256];
      auto n = read(stdout_fd_, buf, sizeof buf);
      if (n <= 0)
        throw std::runtime_error("libactor-echo exited before listening; stderr:\n" + stderr_text());
      line_.append(buf, static_cast<std::size_t>(n));
    }
    line_.resize(line_.find('\n'));
    static const std::regex expected(R"(libactor-echo listening on 127\.0\.0\.1:(\d+))");
    std::smatch m;
    if (!std::regex_match(line_, m, expected))
      throw std::runtime_error("unexpected first line from libactor-echo: '" + line_ + "'");
    return static_cast<std::uint16_t>(std::stoi(m[1]));
  }

  void kill_now() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (stdout_fd_ >= 0)
      close(stdout_fd_);
    stdout_fd_ = -1;
  }

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::uint16_t port_ = 0;
  std::string line_;
  int exit_code_ = killed_after_limit;
  bool signalled_ = false;
  std::filesystem::path stderr_path_;
};

/// What a run of the binary that is expected to end by itself produced.
struct run_result {
  int exit_code = 0;  // killed_after_limit (-1): still running after the limit, so killed
  std::string out, err;
};

/// Runs LIBACTOR_ECHO_BIN with `args` until it exits (at most `limit`, then it is killed).
inline run_result run_to_exit(std::vector<std::string> args, std::chrono::milliseconds limit = 30s) {
  args.insert(args.begin(), LIBACTOR_ECHO_BIN);
  auto out = detail::temp_file("stdout.log"), err = detail::temp_file("stderr.log");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  try {
    pid = detail::spawn(args, actions);
  } catch (...) {
    posix_spawn_file_actions_destroy(&actions);
    throw;
  }
  posix_spawn_file_actions_destroy(&actions);
  run_result r;
  r.exit_code = detail::reap(pid, limit);
  r.out = detail::read_file(out);
  r.err = detail::read_file(err);
  std::error_code ignored;
  std::filesystem::remove(out, ignored);
  std::filesystem::remove(err, ignored);
  return r;
}

} // namespace integration
