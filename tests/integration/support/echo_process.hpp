#pragma once
// A libactor-echo process for black-box tests: started with posix_spawn, its port read from the
// "listening on" line, stderr kept in a file, stopped by signal; plus what the tests observe from
// outside: open descriptors and resident memory, read from /proc.

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace echo_test {

/// Raises this process's open-file limit to the hard limit (10,000 connections need it).
inline void raise_nofile() {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
}

class echo_process {
public:
  /// Starts libactor-echo with `args` (plus --port 0) and waits (up to 30 s) for its port.
  explicit echo_process(std::vector<std::string> args) {
    args.insert(args.begin(), {LIBACTOR_ECHO_BIN, "--port", "0"});
    int out[2];
    if (pipe(out) != 0)
      throw std::runtime_error("pipe failed");
    stderr_path_ = std::filesystem::temp_directory_path() / ("echo-stderr-" + std::to_string(getpid()) + "-" +
                                                             std::to_string(counter()++) + ".log");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    if (rc != 0) {
      close(out[0]);
      throw std::runtime_error("cannot start " + std::string(argv[0]));
    }
    stdout_fd_ = out[0];
    port_ = read_port();
  }
  ~echo_process() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_fd_ >= 0)
      close(stdout_fd_);
    std::error_code ignored;
    std::filesystem::remove(stderr_path_, ignored);
  }
  echo_process(const echo_process&) = delete;
  echo_process& operator=(const echo_process&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  /// Sends `sig` and waits for the exit; returns the exit status (or 128 + signal).
  int stop(int sig = SIGTERM) {
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  std::string stderr_text() const {
    std::ifstream in(stderr_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  /// Open descriptors of the server.
  std::size_t fd_count() const {
    std::size_t n = 0;
    for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid_) + "/fd"))
      ++n;
    return n;
  }
  /// Resident memory of the server in KiB.
  long rss_kib() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("VmRSS:", 0) == 0)
        return std::strtol(line.c_str() + 6, nullptr, 10);
    return -1;
  }

private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::uint16_t read_port() {
    std::string text;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (text.find('\n') == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{stdout_fd_, POLLIN, 0};
      if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0)
        throw std::runtime_error("libactor-echo printed no listening line; stderr: " + stderr_text());
      char buf[256];
      auto n = read(stdout_fd_, buf, sizeof buf);
      if (n <= 0)
        throw std::runtime_error("libactor-echo exited before listening; stderr: " + stderr_text());
      text.append(buf, static_cast<std::size_t>(n));
    }
    auto colon = text.rfind(':');
    if (text.find("listening on") == std::string::npos || colon == std::string::npos)
      throw std::runtime_error("unexpected first line: " + text);
    return static_cast<std::uint16_t>(std::stoi(text.substr(colon + 1)));
  }

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::uint16_t port_ = 0;
  std::filesystem::path stderr_path_;
};

/// Runs the binary to completion with `args` and returns {exit status, stderr}.
inline std::pair<int, std::string> run_to_exit(std::vector<std::string> args) {
  args.insert(args.begin(), LIBACTOR_ECHO_BIN);
  auto err = std::filesystem::temp_directory_path() / ("echo-cli-" + std::to_string(getpid()) + ".log");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0)
    throw std::runtime_error("cannot start libactor-echo");
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream in(err);
  std::stringstream ss;
  ss << in.rdbuf();
  std::filesystem::remove(err);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), ss.str()};
}

} // namespace echo_test
