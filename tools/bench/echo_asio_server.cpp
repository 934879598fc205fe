// The raw Boost.Asio reference of the echo benchmark (tools/bench/echo_compare.py): one io_context run
// on one thread and, per connection, the textbook loop async_read_some -> async_write of the bytes read.
// No libactor and no tricks, so that it is a fair reference for libactor-echo --threads 1.
//
//   bench_echo_asio_server --port 0   ->   "asio-echo listening on 127.0.0.1:PORT" on stdout
#include <array>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

class session : public std::enable_shared_from_this<session> {
public:
  explicit session(tcp::socket socket) : socket_(std::move(socket)) {}

  void read() {
    socket_.async_read_some(asio::buffer(buffer_),
                            [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                              if (!ec)
                                self->write(n);
                            });
  }

private:
  void write(std::size_t n) {
    asio::async_write(socket_, asio::buffer(buffer_, n),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        if (!ec)
                          self->read();
                      });
  }

  tcp::socket socket_;
  std::array<char, 16 * 1024> buffer_;
};

void accept(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](boost::system::error_code ec, tcp::socket socket) {
    if (!ec) {
      socket.set_option(tcp::no_delay(true)); // as libactor-echo does: echoes are small writes
      std::make_shared<session>(std::move(socket))->read();
    }
    if (acceptor.is_open())
      accept(acceptor);
  });
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"raw Boost.Asio echo server (reference of tools/bench/echo_compare.py)"};
  std::string host = "127.0.0.1";
  int port = 7000;
  app.add_option("--host", host, "address to listen on")->capture_default_str();
  app.add_option("--port", port, "port; 0 picks a free one")->check(CLI::Range(0, 65535))->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address(host), static_cast<unsigned short>(port)));
    auto local = acceptor.local_endpoint();
    std::printf("asio-echo listening on %s:%u\n", local.address().to_string().c_str(), local.port());
    std::fflush(stdout);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&io](boost::system::error_code, int) { io.stop(); });
    accept(acceptor);
    io.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "asio-echo: %s\n", e.what());
    return 1;
  }
  return 0;
}
