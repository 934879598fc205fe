#pragma once
// Well-behaved clients of the echo service, written with libactor's streams, and the wait for the
// server to give its descriptors back.

#include <chrono>
#include <cstddef>
#include <string>

#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include "echo_process.hpp"

namespace echo_test {

namespace la = libactor;

/// Sends `message` and checks that exactly it comes back.
inline la::job<bool> echo_once(la::stream& s, const std::string& message) {
  co_await s.write(message);
  auto back = co_await s.read_exactly(message.size());
  co_return back == message;
}

/// A message that differs per connection and round, so a mixed-up echo is caught.
inline std::string message_for(std::size_t connection, std::size_t round, std::size_t size = 100) {
  std::string m = "c" + std::to_string(connection) + "r" + std::to_string(round) + ":";
  while (m.size() < size)
    m += static_cast<char>('a' + (m.size() * 7 + connection + round) % 26);
  return m;
}

/// Waits (bounded: 60 s) until the server holds at most `fds` descriptors; returns the last count.
/// Closing is asynchronous on the server's side, so the test waits for the condition it checks.
inline la::job<std::size_t> wait_for_fds(const echo_process& server, std::size_t fds) {
  auto now = server.fd_count();
  for (int i = 0; i < 1200 && now > fds; ++i) {
    co_await la::sleep(std::chrono::milliseconds(50));
    now = server.fd_count();
  }
  co_return now;
}

/// The client side's runtime: two workers and two I/O threads.
inline la::runtime_config client_config() {
  la::runtime_config c;
  c.threads = 2;
  c.io_threads = 2;
  return c;
}

} // namespace echo_test
