#pragma once
// hostile_server: an HTTP/1.1 server on 127.0.0.1 that misbehaves on purpose, for the client's
// robustness tests. Plain POSIX sockets and std::thread, no libactor: a bug shared with the client
// cannot hide behind it. One thread per connection, at most max_connections (more are accepted and
// closed at once). Every wait polls the socket together with a stop event, so the destructor
// releases every connection, a silent one included, and joins every thread.
//
// A connection the server ends is ended in order (FIN), and its thread then waits for the client to
// close its side: open() counts the connections the client has not closed yet, which is how a test
// sees a leaked socket.
//
// Paths (the query string is ignored unless said otherwise):
//   /ok                 200 "ok", kept alive
//   /echo               200 "<METHOD> <target>\n", "name: value\n" per request header, "\n", then
//                       the request body; kept alive
//   /malformed-status   status line "HTTP/1.1 abc"
//   /huge-headers       a 4 MiB header block
//   /bad-chunk          chunked, with the chunk size "zz"
//   /truncated          Content-Length 1000, 500 bytes, closed
//   /drip               Content-Length 100000, one byte every 50 ms until the client goes away
//   /reset              Content-Length 1000, 500 bytes, then a reset (SO_LINGER {1, 0} + close)
//   /silent             reads the request, never answers
//   /loop               302 to /loop, kept alive
//   /bad-gzip           Content-Encoding: gzip, and a body that is not gzip
//   /bomb?mib=N         Content-Encoding: gzip, N MiB of zeros (default 16) in about N KiB
//   /one-shot           200 "one-shot", kept alive; the next request on that connection is read and
//                       the connection closed without an answer: a stale kept-alive connection
//   /flaky?fail=N&key=K 503 "unavailable" for the first N hits of key K, then 200 "recovered"; kept alive
//   anything else       404, kept alive
// A second listener, not_tls_port(), answers whatever arrives with a plaintext
// "HTTP/1.1 400 Bad Request" and closes: a TLS handshake with it fails.
// Link zlib (/bomb).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace libactor::testing {

/// `data` compressed as one gzip member (zlib, window bits 16 + 15).
inline std::string gzip(std::string_view data) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("gzip: deflateInit2 failed");
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END)
    throw std::runtime_error("gzip: deflate failed");
  return out;
}

/// A request as the hostile server read it.
struct hostile_request {
  std::string method, target, path, query, body;
  std::vector<std::pair<std::string, std::string>> headers;

  /// The value of `name` in the query string ("" if absent).
  std::string param(std::string_view name) const {
    std::string_view rest = query;
    while (!rest.empty()) {
      auto amp = rest.find('&');
      auto pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
      auto eq = pair.find('=');
      if (pair.substr(0, eq) == name)
        return std::string(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    }
    return {};
  }
  /// The value of header `name` (case-insensitive), "" if absent.
  std::string header(std::string_view name) const {
    for (auto& [n, v] : headers)
      if (n.size() == name.size() && ::strncasecmp(n.data(), name.data(), n.size()) == 0)
        return v;
    return {};
  }
};

class hostile_server {
public:
  /// Listens on two free ports of 127.0.0.1 and serves until destroyed.
  explicit hostile_server(std::size_t max_connections = 256)
    : max_connections_(max_connections), stop_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      http_(listen_loopback()), not_tls_(listen_loopback()), acceptor_([this] { accept_loop(); }) {}
  ~hostile_server() {
    stop();
    for (int fd : {http_.fd, not_tls_.fd, stop_fd_})
      ::close(fd);
  }
  hostile_server(const hostile_server&) = delete;
  hostile_server& operator=(const hostile_server&) = delete;

  /// The plain HTTP port, and the port that answers a TLS handshake in plaintext.
  std::uint16_t port() const noexcept { return http_.port; }
  std::uint16_t not_tls_port() const noexcept { return not_tls_.port; }
  /// "http://127.0.0.1:<port()><target>".
  std::string url(std::string_view target) const { return "http://127.0.0.1:" + std::to_string(port()) + std::string(target); }
  /// "https://127.0.0.1:<not_tls_port()>/".
  std::string not_tls_url() const { return "https://127.0.0.1:" + std::to_string(not_tls_port()) + "/"; }

  /// Connections accepted (both listeners; rejected ones not included).
  std::uint64_t accepted() const noexcept { return accepted_; }
  /// Connections open now: a connection's socket is closed before it stops counting.
  std::size_t open() const noexcept { return open_; }
  /// Connections closed at once because max_connections were open.
  std::uint64_t rejected() const noexcept { return rejected_; }
  /// Requests received for `path` (without query), answered or not: the request that /one-shot's
  /// connection reads and drops counts for its own path.
  std::uint64_t hits(const std::string& path) const {
    std::lock_guard lock{mu_};
    auto it = hits_.find(path);
    return it == hits_.end() ? 0 : it->second;
  }

  /// Stops accepting, releases every connection (each thread sees the stop event in its next
  /// wait) and joins every thread. Idempotent.
  void stop() noexcept {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(stop_fd_, &one, sizeof one);  // stays readable: never read
    if (acceptor_.joinable())
      acceptor_.join();
    for (auto& w : workers_)
      w.thread.join();
    workers_.clear();
  }

private:
  struct listener {
    int fd = -1;
    std::uint16_t port = 0;
  };
  struct worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };

  // One accepted connection: non-blocking, every wait also watching the stop event.
  class conn {
  public:
    conn(int fd, int stop_fd) : fd_(fd), stop_fd_(stop_fd) {}
    ~conn() { ::close(fd_); }
    conn(const conn&) = delete;
    conn& operator=(const conn&) = delete;

    /// Until `events` are ready on the socket (true), the stop event, or `ms` passed (false).
    bool wait(short events, int ms = -1) const {
      pollfd p[2] = {{fd_, events, 0}, {stop_fd_, POLLIN, 0}};
      for (;;) {
        int n = ::poll(p, 2, ms);
        if (n < 0 && errno == EINTR)
          continue;
        return n > 0 && p[1].revents == 0 && p[0].revents != 0;
      }
    }
    /// Pauses `ms` unless the server stops first (false then).
    bool pause(int ms) const {
      pollfd p{stop_fd_, POLLIN, 0};
      return ::poll(&p, 1, ms) == 0;
    }
    /// Sends everything; false if the peer went away or the server stops.
    bool send_all(std::string_view data) const {
      while (!data.empty()) {
        auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0)
          data.remove_prefix(static_cast<std::size_t>(n));
        else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
          if (!wait(POLLOUT))
            return false;
        } else
          return false;
      }
      return true;
    }
    /// Reads some bytes into the buffer; false at end of stream, on an error or at stop.
    bool fill() {
      char buf[16 * 1024];
      for (;;) {
        auto n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
          in_.append(buf, static_cast<std::size_t>(n));
          return true;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
          return false;
        if (!wait(POLLIN))
          return false;
      }
    }
    /// The next request (head and Content-Length body); nothing if the connection ended first or
    /// sent something too large or unparsable.
    std::optional<hostile_request> read_request() {
      std::size_t end;
      while ((end = in_.find("\r\n\r\n")) == std::string::npos)
        if (in_.size() > (1u << 20) || !fill())
          return std::nullopt;
      hostile_request r;
      std::string_view head(in_.data(), end);
      auto line_end = head.find("\r\n");
      std::string_view line = head.substr(0, line_end);
      auto sp1 = line.find(' '), sp2 = line.rfind(' ');
      if (sp1 == std::string_view::npos || sp2 == sp1)
        return std::nullopt;
      r.method = line.substr(0, sp1);
      r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      auto q = r.target.find('?');
      r.path = r.target.substr(0, q);
      r.query = q == std::string::npos ? "" : r.target.substr(q + 1);
      while (line_end != std::string_view::npos) {
        head.remove_prefix(line_end + 2);
        line_end = head.find("\r\n");
        auto field = head.substr(0, line_end);
        auto colon = field.find(':');
        if (colon == std::string_view::npos)
          return std::nullopt;
        auto value = field.substr(colon + 1);
        while (!value.empty() && value.front() == ' ')
          value.remove_prefix(1);
        r.headers.emplace_back(std::string(field.substr(0, colon)), std::string(value));
      }
      in_.erase(0, end + 4);
      auto length = r.header("Content-Length");
      std::size_t size = std::strtoull(length.c_str(), nullptr, 10);
      while (in_.size() < size)
        if (size > (64u << 20) || !fill())
          return std::nullopt;
      r.body = in_.substr(0, size);
      in_.erase(0, size);
      return r;
    }
    /// Reads and drops everything until the peer closes (or an error, or stop).
    void drain() {
      while (fill())
        in_.clear();
    }
    /// An orderly close: end of stream to the peer, then wait for the peer to close too, so that
    /// nothing it still sends turns the close into a reset.
    void finish() {
      ::shutdown(fd_, SHUT_WR);
      drain();
    }
    /// A reset instead of an orderly end of stream (the destructor closes).
    void arm_reset() const {
      linger hard{1, 0};
      ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    }

  private:
    int fd_, stop_fd_;
    std::string in_;
  };

  static listener listen_loopback() {
    listener l;
    l.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (l.fd < 0 || ::bind(l.fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(l.fd, 128) != 0 ||
        ::getsockname(l.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error(std::string("hostile_server: listen: ") + std::strerror(errno));
    l.port = ntohs(addr.sin_port);
    return l;
  }

  void accept_loop() {
    pollfd p[3] = {{http_.fd, POLLIN, 0}, {not_tls_.fd, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    for (;;) {
      if (::poll(p, 3, -1) < 0 && errno != EINTR)
        return;
      if (p[2].revents != 0)
        return;
      for (int i = 0; i < 2; ++i)
        if (p[i].revents != 0)
          accept_one(p[i].fd, i == 1);
      std::erase_if(workers_, [](worker& w) {
        if (!w.done->load())
          return false;
        w.thread.join();
        return true;
      });
    }
  }

  void accept_one(int listen_fd, bool not_tls) {
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
      return;
    if (open_ >= max_connections_) {
      ::close(fd);
      ++rejected_;
      return;
    }
    ++accepted_;
    ++open_;
    auto done = std::make_shared<std::atomic<bool>>(false);
    workers_.push_back({std::thread([this, fd, not_tls, done] {
                          {
                            conn c(fd, stop_fd_);
                            if (not_tls)
                              answer_tls_in_plaintext(c);
                            else
                              serve(c);
                          }  // the socket is closed before the connection stops counting
                          --open_;
                          done->store(true);
                        }),
                        done});
  }

  static void answer_tls_in_plaintext(conn& c) {
    if (c.fill() && c.send_all("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
      c.finish();
  }

  static std::string response(std::string_view status, std::string_view body, std::string_view extra = "") {
    return "HTTP/1.1 " + std::string(status) + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
           std::string(extra) + "\r\n" + std::string(body);
  }

  void count_hit(const std::string& path) {
    std::lock_guard lock{mu_};
    ++hits_[path];
  }

  // Answers requests on one connection until it ends or a hostile answer ends it.
  void serve(conn& c) {
    while (auto req = c.read_request()) {
      count_hit(req->path);
      bool keep = answer(c, *req) && req->header("Connection") != "close";
      if (!keep)
        return;
    }
  }

  // Answers one request; whether the connection may carry another one (false: it has been ended).
  bool answer(conn& c, const hostile_request& req) {
    const std::string& p = req.path;
    if (p == "/ok")
      return c.send_all(req.method == "HEAD" ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n" : response("200 OK", "ok"));
    if (p == "/echo") {
      std::string body = req.method + " " + req.target + "\n";
      for (auto& [name, value] : req.headers)
        body += name + ": " + value + "\n";
      return c.send_all(response("200 OK", body + "\n" + req.body));
    }
    if (p == "/loop")
      return c.send_all(response("302 Found", "", "Location: /loop\r\n"));
    if (p == "/flaky") {
      int fail = std::atoi(req.param("fail").c_str());
      int n;
      {
        std::lock_guard lock{mu_};
        n = ++flaky_hits_[req.param("key")];
      }
      return c.send_all(n <= fail ? response("503 Service Unavailable", "unavailable") : response("200 OK", "recovered"));
    }
    if (p == "/one-shot") {
      if (c.send_all(response("200 OK", "one-shot")))
        if (auto next = c.read_request())
          count_hit(next->path);
      c.finish();
      return false;
    }
    if (p == "/silent") {
      c.drain();
      return false;
    }
    if (p == "/drip") {
      bool alive = c.send_all("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
      for (int i = 0; alive && i < 100000; ++i)
        alive = c.pause(50) && c.send_all("x");  // until the client gives up and closes
      return false;
    }
    if (p == "/reset") {
      c.send_all("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + std::string(500, 'r'));
      c.arm_reset();
      return false;
    }
    bool sent = true;
    if (p == "/malformed-status")
      sent = c.send_all("HTTP/1.1 abc\r\nContent-Length: 0\r\n\r\n");
    else if (p == "/huge-headers")
      sent = c.send_all(huge_head());
    else if (p == "/bad-chunk")
      sent = c.send_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
    else if (p == "/truncated")
      sent = c.send_all("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + std::string(500, 't'));
    else if (p == "/bad-gzip")
      sent = c.send_all(response("200 OK", "this is not gzip at all", "Content-Encoding: gzip\r\n"));
    else if (p == "/bomb") {
      auto mib = req.param("mib");
      auto size = mib.empty() ? 16 : std::min<std::size_t>(std::strtoull(mib.c_str(), nullptr, 10), 1024);
      sent = c.send_all(response("200 OK", bomb(size), "Content-Encoding: gzip\r\n"));
    } else
      return c.send_all(response("404 Not Found", "no such path"));
    if (sent)
      c.finish();
    return false;
  }

  // A status line and 4 MiB of header fields (1 KiB each): far past any sane limit.
  static std::string huge_head() {
    std::string head = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < 4096; ++i)
      head += "X-Filler-" + std::to_string(i) + ": " + std::string(1000, 'h') + "\r\n";
    return head + "Content-Length: 0\r\n\r\n";
  }

  // `mib` MiB of zeros, gzipped (about 1 KiB per MiB), computed once per size.
  std::string bomb(std::size_t mib) {
    std::lock_guard lock{mu_};
    auto& cached = bombs_[mib];
    if (cached.empty())
      cached = gzip(std::string(mib << 20, '\0'));
    return cached;
  }

  const std::size_t max_connections_;
  const int stop_fd_;
  const listener http_, not_tls_;
  std::atomic<std::uint64_t> accepted_{0}, rejected_{0};
  std::atomic<std::size_t> open_{0};
  mutable std::mutex mu_;
  std::map<std::string, std::uint64_t> hits_;
  std::map<std::string, int> flaky_hits_;
  std::map<std::size_t, std::string> bombs_;
  std::list<worker> workers_;  // the acceptor's, then stop()'s once the acceptor has ended
  std::thread acceptor_;       // last: starts once everything else is initialized
};

} // namespace libactor::testing
