// server (server.hpp): the accept loop on an I/O thread, one job per connection, idle sweeping
// and graceful shutdown.

#include <libactor/server.hpp>

#include <array>
#include <mutex>
#include <optional>
#include <unordered_map>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <libactor/deadline.hpp>
#include <libactor/errors.hpp>
#include <libactor/event.hpp>
#include <libactor/handle.hpp>
#include <libactor/shield.hpp>
#include <libactor/time.hpp>
#include <libactor/wait.hpp>

#include "../job_actor.hpp"
#include "../log.hpp"
#include "../runtime.hpp"
#include "stream_core.hpp"

namespace libactor::detail {

using boost::asio::ip::tcp;

class server_state : public std::enable_shared_from_this<server_state> {
public:
  server_state(runtime& rt, io_thread& io, connection_handler handler, const serve_options& options)
    : rt_(rt), io_(io), acceptor_(io.context()), retry_(io.context()), handler_(std::move(handler)), options_(options) {}

  void listen(const std::string& host, std::uint16_t port);
  /// [io] Accepts the next connection onto the next I/O thread.
  void accept_next();
  void close();
  void drain_all();
  void cancel_all();
  void sweep_idle(std::chrono::steady_clock::time_point now);
  server::statistics stats() const;

  const serve_options& options() const noexcept { return options_; }
  event& closed() noexcept { return closed_; }
  /// Set on the I/O thread once the listening socket is closed.
  event& not_listening() noexcept { return not_listening_; }
  /// Handles of the connection jobs still open.
  std::vector<handle<void>> connection_jobs() const;
  bool no_connections() const {
    std::lock_guard guard{mu_};
    return conns_.empty();
  }
  std::string address;
  std::uint16_t port = 0;
  std::optional<handle<void>> sweeper;

private:
  struct connection {
    handle<void> job;
    std::shared_ptr<stream_core> core;
    bool idle_cancelled = false;
  };
  friend job<void> run_connection(std::shared_ptr<server_state>, std::uint64_t, stream);

  void on_accept(const boost::system::error_code& ec, tcp::socket socket, io_thread& target);
  enum class outcome { failed, ok, cancelled, reset };
  void finished(std::uint64_t id, outcome how);

  runtime& rt_;
  io_thread& io_;
  tcp::acceptor acceptor_;     // [io] after listen()
  boost::asio::steady_timer retry_;  // [io] backs off after accept errors such as EMFILE
  connection_handler handler_;
  const serve_options options_;
  mutable std::mutex mu_;      // conns_, counters, closing_
  std::unordered_map<std::uint64_t, connection> conns_;
  std::uint64_t next_id_ = 0;
  server::statistics counts_;
  bool closing_ = false;
  event closed_;
  event not_listening_;
};

/// A lingering close (nginx's lingering_close): send what is queued, half-close, and read until the
/// peer's end of stream before closing. Closing a socket with unread input makes the kernel reset
/// the connection and drop the output it still holds — echoes the peer was owed.
job<void> linger_close(stream& s) {
  co_await s.shutdown_send();
  s.core()->end_drain();  // the peer's remaining input is read (and dropped), not cut short
  std::array<std::byte, 4096> sink;
  for (;;) {
    auto n = co_await s.read_some(sink);
    if (n == 0)
      break;
  }
  co_await s.close();
}

/// One connection's job: the handler, then a bounded lingering close. Cancellation (idle timeout,
/// shutdown) unwinds it and the stream's destructor closes the socket.
job<void> run_connection(std::shared_ptr<server_state> st, std::uint64_t id, stream s) {
  struct on_exit {
    server_state& st;
    std::uint64_t id;
    server_state::outcome how = server_state::outcome::failed;  // until known otherwise
    ~on_exit() { st.finished(id, how); }
  } done{*st, id};
  try {
    co_await st->handler_(s);
    co_await move_on_after(st->options().close_timeout, linger_close(s));
    done.how = server_state::outcome::ok;
  } catch (const cancelled&) {
    done.how = server_state::outcome::cancelled;  // the idle timeout or a shutdown: counted there
    throw;
  } catch (const connection_error& e) {
    done.how = server_state::outcome::reset;
    log().debug("connection {} ended: {}", id, e.what());
  } catch (const std::exception& e) {
    log().warn("connection handler failed: {}", e.what());
  }
}

void server_state::listen(const std::string& host, std::uint16_t wanted_port) {
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(host, ec);
  tcp::endpoint where;
  if (!ec) {
    where = tcp::endpoint(addr, wanted_port);
  } else {
    tcp::resolver resolver(io_.context());
    auto found = resolver.resolve(host, std::to_string(wanted_port), tcp::resolver::passive, ec);
    if (ec || found.empty())
      throw connection_error("libactor: cannot listen on " + host + ":" + std::to_string(wanted_port) +
                               ": cannot resolve the host: " + ec.message(),
                             std::error_code(ec.value(), std::system_category()));
    where = found.begin()->endpoint();
  }
  auto fail = [&](const char* step) {
    throw connection_error("libactor: cannot listen on " + host + ":" + std::to_string(wanted_port) + " (" + step +
                             "): " + ec.message(),
                           std::error_code(ec.value(), std::system_category()));
  };
  if (acceptor_.open(where.protocol(), ec))
    fail("socket");
  acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);  // as asyncio does on Unix
  if (acceptor_.bind(where, ec))
    fail("bind");
  if (acceptor_.listen(options_.backlog, ec))
    fail("listen");
  auto bound = acceptor_.local_endpoint(ec);
  address = bound.address().to_string();
  port = bound.port();
}

void server_state::accept_next() {
  auto& target = rt_.io().next();
  acceptor_.async_accept(target.context(), [self = shared_from_this(), &target](const boost::system::error_code& ec,
                                                                                tcp::socket socket) {
    self->on_accept(ec, std::move(socket), target);
  });
}

void server_state::on_accept(const boost::system::error_code& ec, tcp::socket socket, io_thread& target) {
  if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open())
    return;  // closed
  if (ec) {
    // Out of descriptors or buffers: the listening socket is fine, so try again shortly rather than
    // spin or give up; connections that end meanwhile free what was missing.
    log().warn("accept on {}:{} failed: {}; retrying in 50 ms", address, port, ec.message());
    retry_.expires_after(std::chrono::milliseconds(50));
    retry_.async_wait([self = shared_from_this()](const boost::system::error_code& e) {
      if (!e && self->acceptor_.is_open())
        self->accept_next();
    });
    return;
  }
  try {
    std::lock_guard guard{mu_};
    if (closing_) {
      return;  // accepted just before the listening socket closed: the socket closes here
    } else if (conns_.size() >= options_.max_connections) {
      ++counts_.rejected;
      boost::system::error_code ignored;
      socket.close(ignored);
    } else {
      auto core = make_stream_core(target, std::move(socket), options_.stream);
      auto id = ++next_id_;
      auto* home = options_.handlers == job_home::io_thread ? &target : nullptr;
      auto h = spawn_with(run_connection(shared_from_this(), id, stream{core}), "connection",
                          [&](record_base& rec, std::coroutine_handle<> body) { launch_on(rt_, rec, body, home); });
      conns_.emplace(id, connection{std::move(h), std::move(core)});
      ++counts_.accepted;
    }
  } catch (const std::exception& e) {
    log().error("cannot start a connection job: {}", e.what());  // the socket closes with `socket`
  }
  accept_next();
}

void server_state::finished(std::uint64_t id, outcome how) {
  std::lock_guard guard{mu_};
  conns_.erase(id);
  if (how == outcome::failed)
    ++counts_.failed;
  else if (how == outcome::reset)
    ++counts_.reset;
}

std::vector<handle<void>> server_state::connection_jobs() const {
  std::lock_guard guard{mu_};
  std::vector<handle<void>> jobs;
  for (auto& [id, c] : conns_)
    jobs.push_back(c.job);
  return jobs;
}

void server_state::close() {
  {
    std::lock_guard guard{mu_};
    closing_ = true;  // from now on no connection job is started
  }
  boost::asio::post(io_.context(), [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
    self->retry_.cancel();
    self->not_listening_.set();
  });
  closed_.set();  // also ends the idle sweeper
}

void server_state::drain_all() {
  std::lock_guard guard{mu_};
  for (auto& [id, c] : conns_)
    c.core->on_io([core = c.core] { core->begin_drain(); });
}

void server_state::cancel_all() {
  std::lock_guard guard{mu_};
  for (auto& [id, c] : conns_)
    c.job.cancel();
}

void server_state::sweep_idle(std::chrono::steady_clock::time_point now) {
  std::lock_guard guard{mu_};
  for (auto& [id, c] : conns_) {
    if (!c.idle_cancelled && now - c.core->last_activity() >= options_.idle_timeout) {
      c.idle_cancelled = true;
      ++counts_.idle_closed;
      c.job.cancel();
    }
  }
}

server::statistics server_state::stats() const {
  std::lock_guard guard{mu_};
  auto s = counts_;
  s.active = conns_.size();
  return s;
}

namespace {
/// Checks for idle connections a few times per idle timeout, until the server closes.
job<void> sweep_idle_connections(std::shared_ptr<server_state> st, std::chrono::milliseconds idle) {
  auto period = std::max(idle / 4, std::chrono::milliseconds(1));
  for (;;) {
    bool closed = co_await move_on_after(period, st->closed().wait());  // not in the loop's condition: pitfall 6
    if (closed)
      co_return;
    st->sweep_idle(std::chrono::steady_clock::now());
  }
}
} // namespace

} // namespace libactor::detail

namespace libactor {

server::server(std::shared_ptr<detail::server_state> state) noexcept : state_(std::move(state)) {}
server::server(server&&) noexcept = default;
server& server::operator=(server&& other) noexcept {
  if (this != &other) {
    if (state_) {
      state_->close();
      state_->cancel_all();
    }
    state_ = std::move(other.state_);
  }
  return *this;
}
server::~server() {
  if (state_) {
    state_->close();
    state_->cancel_all();
  }
}

std::string server::address() const { return state_ ? state_->address : std::string(); }
std::uint16_t server::port() const { return state_ ? state_->port : 0; }
server::statistics server::stats() const { return state_ ? state_->stats() : statistics{}; }

void server::close() {
  if (state_)
    state_->close();
}

job<void> server::serve_forever() {
  if (!state_)
    throw usage_error("libactor: serve_forever on a moved-from server");
  auto st = state_;
  try {
    co_await st->closed().wait();
  } catch (const cancelled&) {
    st->close();
    throw;
  }
}

job<void> server::shutdown(std::chrono::milliseconds grace) {
  if (!state_)
    co_return;
  auto st = state_;
  st->close();
  st->drain_all();
  auto jobs = st->connection_jobs();  // complete: close() stopped new ones
  auto ended = co_await move_on_after(grace, wait(jobs));
  if (!ended) {
    st->cancel_all();
    co_await wait(jobs);
  }
  if (st->sweeper)
    co_await *st->sweeper;
  co_await st->not_listening().wait();  // the port is free when shutdown returns
}

job<server> start_server(connection_handler handler, std::string host, std::uint16_t port, serve_options options) {
  if (!handler)
    throw usage_error("libactor: start_server without a handler");
  if (options.max_connections == 0)
    throw usage_error("libactor: serve_options::max_connections must be at least 1");
  auto* rt = detail::runtime::current();
  if (rt == nullptr)
    throw usage_error("libactor: start_server called while no runtime is running");
  auto& io = rt->io().next();
  auto st = std::make_shared<detail::server_state>(*rt, io, std::move(handler), options);
  st->listen(host, port);
  if (options.idle_timeout.count() > 0)
    st->sweeper = spawn(detail::sweep_idle_connections(st, options.idle_timeout), {.name = "idle-sweeper"});
  boost::asio::post(io.context(), [st] { st->accept_next(); });
  co_return server{std::move(st)};
}

job<void> serve(std::string host, std::uint16_t port, connection_handler handler, serve_options options) {
  auto srv = co_await start_server(std::move(handler), std::move(host), port, options);
  bool was_cancelled = false;
  try {
    co_await srv.serve_forever();
  } catch (const cancelled&) {
    was_cancelled = true;  // shut down outside the handler: a catch block cannot co_await
  }
  co_await shield(srv.shutdown(options.shutdown_timeout));
  if (was_cancelled)
    throw cancelled{};
}

} // namespace libactor
