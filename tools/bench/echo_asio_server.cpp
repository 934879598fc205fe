// The raw Boost.Asio reference for the echo benchmark: one io_context on one thread, and per
// connection the textbook loop async_read_some -> async_write. No libactor.
#include <cstdio>
#include <memory>
#include <utility>

#include <boost/asio.hpp>

using boost::asio::ip::tcp;

namespace {

class session : public std::enable_shared_from_this<session> {
public:
  explicit session(tcp::socket socket) : socket_(std::move(socket)) {}
  void read() {
    socket_.async_read_some(boost::asio::buffer(buffer_), [self = shared_from_this()](auto ec, std::size_t n) {
      if (!ec)
        self->write(n);
    });
  }

private:
  void write(std::size_t n) {
    boost::asio::async_write(socket_, boost::asio::buffer(buffer_, n), [self = shared_from_this()](auto ec, std::size_t) {
      if (!ec)
        self->read();
    });
  }
  tcp::socket socket_;
  char buffer_[16 * 1024];
};

void accept(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](auto ec, tcp::socket socket) {
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      std::make_shared<session>(std::move(socket))->read();
    }
    accept(acceptor);
  });
}

} // namespace

int main(int argc, char** argv) {
  unsigned short port = argc > 1 ? static_cast<unsigned short>(std::atoi(argv[1])) : 0;
  boost::asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  std::printf("asio-echo listening on 127.0.0.1:%u\n", acceptor.local_endpoint().port());
  std::fflush(stdout);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](auto, int) { io.stop(); });
  accept(acceptor);
  io.run();
}
