// The TCP echo client that goes with tcp_echo_server (asyncio's tcp_echo_client):
//   reader, writer = await asyncio.open_connection('127.0.0.1', 8888)
//   writer.write(message.encode()); await writer.drain()
//   data = await reader.read(100)
//   writer.close(); await writer.wait_closed()
// `tcp_echo_client PORT` talks to a running server (start tcp_echo_server first). Without a port it first
// starts a small echo server of its own on a free port, so that it runs alone (as its ctest does).
// Exits 1 unless the reply contains the message.
#include <libactor/libactor.hpp>

#include <array>
#include <cstdio>
#include <optional>
#include <span>
#include <string>

namespace la = libactor;

la::job<bool> tcp_echo_client(std::string message, std::uint16_t port) {
  la::stream s = co_await la::open_connection("127.0.0.1", port);
  std::printf("Send: '%s'\n", message.c_str());
  co_await s.write(message);  // no drain() to forget: write waits while too much is queued
  std::string data = co_await s.read_some(100);
  std::printf("Received: '%s'\n", data.c_str());
  std::printf("Close the connection\n");
  co_await s.close();  // writer.close() + await writer.wait_closed()
  co_return data.find(message) != std::string::npos;
}

la::job<void> echo(la::stream& s) {  // the stand-in server's handler: sends back what it reads
  std::array<std::byte, 4096> buffer;
  while (auto n = co_await s.read_some(buffer))
    co_await s.write(std::span{buffer}.first(n));
}

la::job<int> amain(int port) {
  std::optional<la::server> own;  // the stand-in server, when no port was given
  if (port < 0) {
    own.emplace(co_await la::start_server(echo, "127.0.0.1", 0));
    port = own->port();
  }
  bool echoed = co_await tcp_echo_client("Hello World!", port);
  if (own)
    co_await own->shutdown(std::chrono::seconds(1));  // lets its connection job see the end of stream and end
  co_return echoed ? 0 : 1;
}

int main(int argc, char** argv) { return la::run(amain(argc > 1 ? std::stoi(argv[1]) : -1), argc, argv); }
