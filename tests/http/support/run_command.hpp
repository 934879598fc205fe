#pragma once
// Runs a program to its end and collects what it printed: the openssl CLI that makes the test CA,
// and libactor-fetch in the CLI tests. Bounded: a program still running after the limit is killed
// and reported as such, so a hang fails the test instead of hanging it.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace http_test {

/// How a program ended and what it wrote.
struct command_result {
  /// The exit code; 128 + N when killed by signal N; -1 when it ran past the limit and was killed.
  int exit_code = -1;
  std::string out, err;

  /// "exit code N" and both outputs, for failure messages.
  std::string describe() const {
    return "exit code " + std::to_string(exit_code) + "\n--- stdout:\n" + out + "\n--- stderr:\n" + err;
  }
};

/// The command line, quoted enough to read in a message.
inline std::string command_line(const std::vector<std::string>& args) {
  std::string line;
  for (auto& a : args)
    line += (line.empty() ? "" : " ") + (a.find(' ') == std::string::npos ? a : "'" + a + "'");
  return line;
}

/// Runs `args` (args[0] is the program's path) with `input` on its standard input, at most `limit`.
/// Throws std::runtime_error when the program cannot be started at all.
inline command_result run_command(const std::vector<std::string>& args, const std::string& input = "",
                                  std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  // Three pipes; O_CLOEXEC so that a child spawned meanwhile by another thread does not keep ours open.
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe2 failed: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  for (int fd : {in[0], out[1], err[1]})
    close(fd);
  if (rc != 0) {
    for (int fd : {in[1], out[0], err[0]})
      close(fd);
    throw std::runtime_error("cannot start " + command_line(args) + ": " + std::strerror(rc));
  }

  // Feed stdin and drain both outputs together (either side could fill a pipe and block the other).
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  signal(SIGPIPE, SIG_IGN);  // a program that exits without reading its input must not kill us
  command_result result;
  std::size_t written = 0;
  int fds[3] = {out[0], err[0], in[1]};
  std::string* sinks[2] = {&result.out, &result.err};
  if (input.empty()) {
    close(in[1]);
    fds[2] = -1;
  }
  const auto deadline = std::chrono::steady_clock::now() + limit;
  bool timed_out = false;
  while (fds[0] >= 0 || fds[1] >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p[3] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}, {fds[2], POLLOUT, 0}};
    if (poll(p, 3, static_cast<int>(left.count())) < 0 && errno != EINTR)
      break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i] < 0 || p[i].revents == 0)
        continue;
      char buf[65536];
      auto n = read(fds[i], buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i]);
        fds[i] = -1;
      }
    }
    if (fds[2] >= 0 && p[2].revents != 0) {
      auto n = write(fds[2], input.data() + written, input.size() - written);
      if (n > 0)
        written += static_cast<std::size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
        close(fds[2]);
        fds[2] = -1;
      }
    }
  }
  for (int fd : fds)
    if (fd >= 0)
      close(fd);

  int status = 0;
  if (timed_out)
    kill(pid, SIGKILL);
  else {
    // Both outputs are closed: the program has exited or is about to; still bounded.
    for (auto until = deadline; waitpid(pid, &status, WNOHANG) == 0;) {
      if (std::chrono::steady_clock::now() >= until) {
        kill(pid, SIGKILL);
        timed_out = true;
        break;
      }
      usleep(2000);
    }
    if (!timed_out) {
      result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return result;
    }
  }
  waitpid(pid, &status, 0);
  result.exit_code = -1;
  return result;
}

} // namespace http_test
