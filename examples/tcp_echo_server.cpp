// The tutorial's TCP echo server: asyncio.start_server runs handle_connection for each connection, as a job.
#include <libactor/libactor.hpp>
#include <cstdio>
#include <string>
namespace la = libactor;
la::event served;  // set when a connection is closed; --once waits for it
la::job<void> handle_connection(la::stream& s) {
  std::string addr = s.remote_address() + ":" + std::to_string(s.remote_port());
  std::printf("Accepted connection from %s\n", addr.c_str());
  while (true) {  // a reset throws la::connection_error: the server logs it and closes the stream
    std::string message = co_await s.read_some(100);  // up to 100 bytes; empty at end of stream
    if (message.empty()) break;
    std::printf("Received '%s' from %s\n", message.c_str(), addr.c_str());
    co_await s.write("Echo: " + message);  // waits while the peer lags: write() includes drain()
  }
  std::printf("Closing connection from %s\n", addr.c_str());
  co_await s.close();  // writer.close() + wait_closed(): sends what is queued, then closes
  served.set();
}
la::job<void> amain(std::uint16_t port, bool once) {
  la::server server = co_await la::start_server(handle_connection, "127.0.0.1", port);
  std::printf("Serving on %s:%u\n", server.address().c_str(), server.port());
  std::fflush(stdout);  // at once: a script waiting for the port reads this line
  if (!once) co_await server.serve_forever();  // until Ctrl-C
  co_await served.wait();  // --once: one connection is done; shutdown() lets its job end
  co_await server.shutdown(std::chrono::seconds(1));
}
int main(int argc, char** argv) {  // tcp_echo_server [PORT: 8888; 0 = a free one] [--once: one connection]
  return la::run(amain(argc > 1 ? std::stoi(argv[1]) : 8888, argc > 2 && std::string(argv[2]) == "--once"), argc, argv);
}
