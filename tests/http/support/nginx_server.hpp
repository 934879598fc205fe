#pragma once
// The real nginx (NGINX_BIN) for the HTTP client's tests, started from tests/http/nginx.conf.in in a
// temp directory of its own, on free ports of 127.0.0.1, with a test CA made for it (test_ca.hpp).
//
// The constructor returns once nginx has bound every port (its pid file exists) and each port accepts
// a connection; it fails with nginx's own logs when nginx exits or never listens. Ports are picked by
// binding port 0 first; if another process takes one before nginx binds it, nginx is started again on
// new ports (bounded). The destructor stops nginx by PID (SIGQUIT, a graceful stop; SIGKILL to its
// process group after a bound), reaps it and removes the directory. nginx runs in a process group of
// its own with a parent-death signal, so no nginx outlives the test even when the test process dies.
//
// Construct it inside the test's body (it blocks for a few tens of milliseconds): the parent-death
// signal follows the thread that started nginx, and the runtime's threads outlive the body.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "test_ca.hpp"
#include "temp_dir.hpp"

namespace http_test {

/// The ports of nginx's five servers (see nginx.conf.in).
struct nginx_ports {
  std::uint16_t plain = 0;        ///< keep-alive: files, gzip, redirects, /method, /conn
  std::uint16_t closing = 0;      ///< every response closes its connection
  std::uint16_t tls = 0;          ///< TLS, certificate of the test CA for 127.0.0.1 and localhost
  std::uint16_t wrong_host = 0;   ///< TLS, certificate of the test CA for wrong.example
  std::uint16_t self_signed = 0;  ///< TLS, self-signed certificate
};

class nginx_server {
public:
  /// Sizes of the documents served at /1k and /big; /text has at least text_size bytes.
  static constexpr std::size_t small_size = 1024, big_size = 4 * 1024 * 1024, text_size = 200 * 1024;

  nginx_server() : ca_((make_dirs(), dir_ / "ca")) {
    write_documents();
    for (int attempt = 1;; ++attempt) {
      pick_ports();
      write_config();
      start();
      try {
        if (wait_until_listening())
          return;
      } catch (...) {
        stop();  // the destructor will not run
        throw;
      }
      stop();
      if (!address_in_use() || attempt == 5)
        throw std::runtime_error("nginx did not start:\n" + logs());
    }
  }
  ~nginx_server() { stop(); }
  nginx_server(const nginx_server&) = delete;
  nginx_server& operator=(const nginx_server&) = delete;

  const nginx_ports& ports() const noexcept { return ports_; }
  pid_t pid() const noexcept { return pid_; }
  const test_ca& ca() const noexcept { return ca_; }

  /// http://HOST:PORT/PATH on the keep-alive server (127.0.0.1 and localhost are two pool keys).
  std::string url(std::string_view path, std::string_view host = "127.0.0.1") const {
    return make_url("http", host, ports_.plain, path);
  }
  /// A URL on the server whose responses close their connections.
  std::string closing_url(std::string_view path) const { return make_url("http", "127.0.0.1", ports_.closing, path); }
  /// https://HOST:PORT/PATH on the TLS server whose certificate the test CA signed.
  std::string tls_url(std::string_view path, std::string_view host = "localhost") const {
    return make_url("https", host, ports_.tls, path);
  }
  std::string wrong_host_url(std::string_view path) const {
    return make_url("https", "localhost", ports_.wrong_host, path);
  }
  std::string self_signed_url(std::string_view path) const {
    return make_url("https", "localhost", ports_.self_signed, path);
  }

  /// The exact bytes served at /NAME ("1k", "big", "text").
  std::string document(std::string_view name) const { return read_file(dir_ / "html" / name); }
  std::string error_log() const { return read_if_there(dir_ / "error.log"); }
  std::string access_log() const { return read_if_there(dir_ / "access.log"); }
  /// What nginx printed on stderr and in its error log, for failure messages.
  std::string logs() const {
    return "--- nginx stderr:\n" + read_if_there(dir_ / "stderr.log") + "--- error.log:\n" + error_log();
  }

private:
  static std::string make_url(std::string_view scheme, std::string_view host, std::uint16_t port,
                              std::string_view path) {
    return std::string(scheme) + "://" + std::string(host) + ":" + std::to_string(port) + std::string(path);
  }
  static std::string read_if_there(const std::filesystem::path& file) {
    std::error_code ec;
    return std::filesystem::exists(file, ec) ? read_file(file) : std::string();
  }

  const std::filesystem::path& make_dirs() {
    for (auto sub : {"ca", "html", "tmp"})
      std::filesystem::create_directories(dir_ / sub);
    std::filesystem::permissions(dir_ / "html", std::filesystem::perms(0755));
    return dir_.path();
  }

  // /1k and /big: bytes from a fixed pseudo-random sequence (splitmix64), so that a lost, repeated
  // or misplaced piece of the body shows; /text: numbered lines that compress well.
  void write_documents() {
    std::uint64_t state = 0x6c69626163746f72;
    auto random_bytes = [&state](std::size_t n) {
      std::string s;
      s.reserve(n);
      while (s.size() < n) {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
        z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
        z ^= z >> 31;
        for (int i = 0; i < 8 && s.size() < n; ++i, z >>= 8)
          s.push_back(static_cast<char>(z & 0xff));
      }
      return s;
    };
    write_file(dir_ / "html" / "1k", random_bytes(small_size));
    write_file(dir_ / "html" / "big", random_bytes(big_size));
    std::string text;
    for (int line = 0; text.size() < text_size; ++line)
      text += "line " + std::to_string(line) + ": the quick brown fox jumps over the lazy dog\n";
    write_file(dir_ / "html" / "text", text);
    for (auto name : {"1k", "big", "text"})
      std::filesystem::permissions(dir_ / "html" / name, std::filesystem::perms(0644));
  }

  // Five distinct free ports: bound at once (so they differ), then released for nginx.
  void pick_ports() {
    std::array<std::uint16_t, 5> ports{};
    std::array<int, 5> fds{};
    for (std::size_t i = 0; i < fds.size(); ++i) {
      fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      socklen_t len = sizeof addr;
      if (fds[i] < 0 || bind(fds[i], reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
          getsockname(fds[i], reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        throw std::runtime_error(std::string("cannot pick a free port: ") + std::strerror(errno));
      ports[i] = ntohs(addr.sin_port);
    }
    for (int fd : fds)
      close(fd);
    ports_ = {ports[0], ports[1], ports[2], ports[3], ports[4]};
  }

  void write_config() {
    std::string conf = read_file(std::filesystem::path(LIBACTOR_HTTP_TEST_DIR) / "nginx.conf.in");
    auto replace = [&conf](std::string_view name, const std::string& value) {
      for (auto at = conf.find(name); at != std::string::npos; at = conf.find(name, at + value.size()))
        conf.replace(at, name.size(), value);
    };
    replace("@PREFIX@", dir_.path().string());
    replace("@DOCROOT@", (dir_ / "html").string());
    replace("@PLAIN_PORT@", std::to_string(ports_.plain));
    replace("@CLOSE_PORT@", std::to_string(ports_.closing));
    replace("@TLS_PORT@", std::to_string(ports_.tls));
    replace("@WRONG_HOST_PORT@", std::to_string(ports_.wrong_host));
    replace("@SELF_SIGNED_PORT@", std::to_string(ports_.self_signed));
    replace("@SERVER_CERT@", ca_.server().cert.string());
    replace("@SERVER_KEY@", ca_.server().key.string());
    replace("@WRONG_HOST_CERT@", ca_.wrong_host().cert.string());
    replace("@WRONG_HOST_KEY@", ca_.wrong_host().key.string());
    replace("@SELF_SIGNED_CERT@", ca_.self_signed().cert.string());
    replace("@SELF_SIGNED_KEY@", ca_.self_signed().key.string());
    // Placeholders are upper-case names between @ signs; nginx's own syntax never has one.
    for (auto at = conf.find('@'); at != std::string::npos; at = conf.find('@', at + 1))
      if (auto end = conf.find('@', at + 1); end != std::string::npos && end - at > 1 &&
          conf.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_", at + 1) == end)
        throw std::runtime_error("nginx.conf.in: no value for " + conf.substr(at, end - at + 1));
    write_file(dir_ / "nginx.conf", conf);
  }

  // fork/exec, so that the child can leave our process group, reset the signal mask it inherits
  // (the runtime blocks SIGINT/SIGTERM in its threads), ask for a signal when we die, and close every
  // descriptor of ours (sockets of the client under test must not live on in nginx).
  void start() {
    for (auto stale : {"nginx.pid", "error.log"})  // of an attempt that lost a port
      std::filesystem::remove(dir_ / stale);
    std::vector<int> inherited;
    for (auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
      inherited.push_back(std::stoi(entry.path().filename().string()));
    std::string prefix = dir_.path().string() + "/", conf = (dir_ / "nginx.conf").string();
    std::string output = (dir_ / "stderr.log").string();
    const char* argv[] = {NGINX_BIN, "-p", prefix.c_str(), "-c", conf.c_str(), nullptr};
    const pid_t parent = getpid();

    pid_t pid = fork();
    if (pid < 0)
      throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
    if (pid == 0) {  // the child: async-signal-safe calls only
      setpgid(0, 0);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // SIGTERM: nginx's fast stop, which takes its worker along
      if (getppid() != parent)
        _exit(126);
      int out = open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (out < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
        _exit(126);
      if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
        for (int fd : inherited)
          if (fd > 2)
            close(fd);
      execv(NGINX_BIN, const_cast<char* const*>(argv));
      _exit(127);
    }
    pid_ = pid;
  }

  // True once nginx wrote its pid file (it does so after binding every port) and each port accepts;
  // false when nginx exited first. Throws when it is still not listening after 30 s.
  bool wait_until_listening() {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
      if (exited())
        return false;
      if (read_if_there(dir_ / "nginx.pid") == std::to_string(pid_) + "\n" && every_port_accepts())
        return true;
      if (std::chrono::steady_clock::now() > give_up)
        throw std::runtime_error("nginx is not listening after 30 s:\n" + logs());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  bool every_port_accepts() const {
    for (auto port : {ports_.plain, ports_.closing, ports_.tls, ports_.wrong_host, ports_.self_signed}) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(port);
      bool ok = fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
      if (fd >= 0)
        close(fd);
      if (!ok)
        return false;
    }
    return true;
  }

  bool address_in_use() const { return logs().find("Address already in use") != std::string::npos; }

  // Whether nginx has exited (then reaped); its pid is still ours (a zombie) until then.
  bool exited() {
    if (pid_ <= 0)
      return true;
    siginfo_t info{};
    int rc = waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT);
    if (rc == 0 && info.si_pid == 0)
      return false;
    if (rc == 0)
      kill(-pid_, SIGKILL);  // a worker it may have left behind (the zombie still holds the group's id)
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return true;
  }

  // SIGQUIT: nginx closes idle connections, finishes the requests in progress and exits with its
  // worker. After 10 s, or once the master has exited, SIGKILL sweeps the process group — while the
  // unreaped master still holds the group's id, so that the signal cannot reach anyone else's.
  void stop() {
    if (pid_ <= 0)
      return;
    kill(pid_, SIGQUIT);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int rc = 0;
    for (;;) {
      siginfo_t info{};
      rc = waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT);
      if (rc != 0 || info.si_pid != 0 || std::chrono::steady_clock::now() > give_up)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (rc == 0)
      kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  temp_dir dir_{"libactor-nginx-"};
  test_ca ca_;
  nginx_ports ports_;
  pid_t pid_ = -1;
};

} // namespace http_test
