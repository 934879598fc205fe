// open_connection (open_connection.hpp): resolve and connect on an I/O thread while the job parks.

#include <libactor/open_connection.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <libactor/deadline.hpp>
#include <libactor/errors.hpp>

#include "../job_actor.hpp"
#include "../runtime.hpp"
#include "stream_core.hpp"

namespace libactor {

namespace {

using boost::asio::ip::tcp;

/// One connection attempt, shared by the job and the I/O thread's handlers (which may outlive the
/// job's interest in it: then the attempt is cancelled and whatever it connected is closed).
struct connect_attempt : std::enable_shared_from_this<connect_attempt> {
  explicit connect_attempt(detail::io_thread& on) : io(on), resolver(on.context()), socket(on.context()) {}

  detail::io_thread& io;
  tcp::resolver resolver;
  tcp::socket socket;
  boost::system::error_code error;
  const char* failed_step = nullptr;  // "resolve" or "connect"
  detail::wake_ticket waiter;
  bool abandoned = false;  // [io]

  // [io]
  void start(const std::string& host, std::uint16_t port) {
    resolver.async_resolve(host, std::to_string(port),
                           [self = shared_from_this()](const boost::system::error_code& ec, tcp::resolver::results_type found) {
                             if (ec || self->abandoned)
                               return self->finish(ec, "resolve");
                             boost::asio::async_connect(self->socket, found,
                                                        [self](const boost::system::error_code& ec2, const tcp::endpoint&) {
                                                          self->finish(ec2, "connect");
                                                        });
                           });
  }
  void finish(const boost::system::error_code& ec, const char* step) {
    if (abandoned) {
      boost::system::error_code ignored;
      socket.close(ignored);
      return;
    }
    error = ec;
    failed_step = ec ? step : nullptr;
    detail::unpark(std::exchange(waiter, {}));
  }
  // [io]: the job stopped waiting (cancelled, or its deadline passed).
  void abandon() {
    abandoned = true;
    resolver.cancel();
    boost::system::error_code ignored;
    socket.close(ignored);
  }
};

class connect_wait {
public:
  connect_wait(std::shared_ptr<connect_attempt> attempt, const std::string& host, std::uint16_t port) noexcept
    : attempt_(std::move(attempt)), host_(host), port_(port) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    self_ = &detail::require_job("open_connection");
    if (detail::suspend_if_cancelled(*self_, h))
      return;
    detail::park(*self_, h, attempt_->waiter);
    boost::asio::post(attempt_->io.context(), [a = attempt_, host = host_, port = port_] { a->start(host, port); });
  }
  void await_resume() {
    try {
      detail::end_wait(*self_);
    } catch (...) {
      boost::asio::post(attempt_->io.context(), [a = attempt_] { a->abandon(); });
      throw;
    }
  }

private:
  std::shared_ptr<connect_attempt> attempt_;
  const std::string& host_;
  std::uint16_t port_;
  detail::job_actor* self_ = nullptr;
};

job<void> connect(std::shared_ptr<connect_attempt> attempt, const std::string& host, std::uint16_t port) {
  co_await connect_wait(std::move(attempt), host, port);
}

detail::io_thread& io_for_this_job() {
  auto* rt = detail::runtime::current();
  if (rt == nullptr)
    throw usage_error("libactor: open_connection called while no runtime is running");
  auto* here = detail::require_job("open_connection").home();
  return here != nullptr ? *here : rt->io().next();
}

} // namespace

job<stream> open_connection(std::string host, std::uint16_t port, connect_options options) {
  auto& io = io_for_this_job();
  auto attempt = std::make_shared<connect_attempt>(io);
  auto where = host + ":" + std::to_string(port);
  if (options.timeout.count() > 0) {
    try {
      co_await fail_after(options.timeout, connect(attempt, host, port));
    } catch (const timeout_error&) {
      throw timeout_error("libactor: connecting to " + where + " timed out after " +
                          std::to_string(options.timeout.count()) + " ms");
    }
  } else {
    co_await connect(attempt, host, port);
  }
  // The attempt finished (the wake-up orders its writes before this read) and nothing else uses it.
  if (attempt->error)
    throw connection_error(std::string("libactor: cannot ") + attempt->failed_step + " " + where + ": " +
                             attempt->error.message(),
                           std::error_code(attempt->error.value(), std::system_category()));
  co_return stream{detail::make_stream_core(io, std::move(attempt->socket), options.stream)};
}

} // namespace libactor
