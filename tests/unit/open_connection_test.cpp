// open_connection: connects to a listening server (by address and by name) and reports both ends'
// addresses; a port nothing listens on throws connection_error saying "refused"; with a listener
// whose accept queue is full the connect hangs and `timeout` throws timeout_error exactly when it
// passes (virtual time); a job cancelled inside open_connection — at any point — leaves no socket
// open; a refused or timed-out connect leaves none either.
// Every case runs in a job on CAF's workers and in a job homed on an I/O thread (where the socket
// then lives on that thread).
#define BOOST_TEST_MODULE open_connection
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <memory>
#include <string>
#include "../support/net_probes.hpp"
#include "../support/probes.hpp"

namespace la = libactor;
using namespace std::chrono_literals;
using la::testing::echo;
using la::testing::failure_of;
using la::testing::fds_back_to;
using la::testing::full_listener;
using la::testing::no_timeout;

namespace {

constexpr la::connect_options five_seconds{.timeout = 5s, .stream = {}};

// A listener whose accept queue is full, made on the blocking pool (it waits for a connect to hang).
la::job<std::unique_ptr<full_listener>> make_full_listener() {
  auto make = [] { return std::make_unique<full_listener>(); };
  co_return co_await la::to_thread(make);
}

// Runs `scenario` in a job with `home`, then checks that every socket it opened was closed.
la::job<void> run_checked(la::job_home home, la::testing::homed_scenario scenario) {
  auto baseline = co_await la::testing::fd_baseline();
  co_await la::testing::run_homed(home, scenario);
  auto now = co_await fds_back_to(baseline);
  BOOST_CHECK_EQUAL(now, baseline);
}

} // namespace

#define CONNECT_CASE_WITH(name, config)                                                       \
  la::job<void> name(la::job_home home);                                                      \
  LIBACTOR_TEST_CASE_WITH(name##_on_workers, config) {                                        \
    co_await run_checked(la::job_home::workers, name);                                          \
  }                                                                                           \
  LIBACTOR_TEST_CASE_WITH(name##_on_io_thread, config) {                                      \
    co_await run_checked(la::job_home::io_thread, name);                                        \
  }                                                                                           \
  la::job<void> name([[maybe_unused]] la::job_home home)
#define CONNECT_CASE(name) CONNECT_CASE_WITH(name, la::runtime_config{})

CONNECT_CASE(connects_and_reports_both_ends) {
  auto srv = co_await la::start_server(echo, "127.0.0.1", 0);
  auto s = co_await la::open_connection("127.0.0.1", srv.port());
  BOOST_CHECK(s.is_open());
  BOOST_CHECK_EQUAL(s.remote_address(), "127.0.0.1");
  BOOST_CHECK_EQUAL(s.remote_port(), srv.port());
  BOOST_CHECK_EQUAL(s.local_address(), "127.0.0.1");
  BOOST_CHECK_NE(s.local_port(), 0);
  co_await s.write("ping");
  auto back = co_await s.read_exactly(4);
  BOOST_CHECK_EQUAL(back, "ping");
  auto by_name = co_await la::open_connection("localhost", srv.port());  // resolved, then connected
  co_await by_name.write("pong");
  auto back2 = co_await by_name.read_exactly(4);
  BOOST_CHECK_EQUAL(back2, "pong");
  BOOST_CHECK_EQUAL(srv.stats().accepted, 2u);
}

CONNECT_CASE(a_port_nobody_listens_on_is_refused) {
  auto port = la::testing::free_port();
  auto e = co_await failure_of<la::connection_error>(la::open_connection("127.0.0.1", port));
  BOOST_REQUIRE(e.has_value());
  BOOST_CHECK_MESSAGE(std::string(e->what()).find("refused") != std::string::npos, e->what());
  BOOST_CHECK(e->code() == std::errc::connection_refused);
}

// Virtual time: the connect waits on a socket, so the clock jumps to the timeout at once.
CONNECT_CASE_WITH(a_connect_that_hangs_times_out_exactly, (la::runtime_config{.virtual_time = true})) {
  auto full = co_await make_full_listener();
  auto t0 = la::clock::now();
  auto attempt = la::open_connection("127.0.0.1", full->port, five_seconds);
  auto e = co_await failure_of<la::timeout_error>(std::move(attempt));
  BOOST_REQUIRE(e.has_value());
  BOOST_CHECK(la::clock::now() - t0 == 5s);
  BOOST_CHECK_MESSAGE(std::string(e->what()).find("timed out") != std::string::npos, e->what());
}

la::job<void> connects_forever(std::uint16_t port) {
  co_await la::open_connection("127.0.0.1", port, no_timeout);
}

// Cancelled while connecting (its socket is open), and at random points from the start on.
CONNECT_CASE(a_job_cancelled_inside_open_connection_leaves_nothing_open) {
  auto full = co_await make_full_listener();
  auto before = la::testing::open_fds();
  auto connecting = la::spawn(connects_forever(full->port), {.name = "connecting", .home = home});
  auto socket_open = [before] { return la::testing::open_fds() > before; };
  BOOST_REQUIRE(co_await la::testing::eventually(socket_open));
  connecting.cancel();
  BOOST_CHECK(co_await la::testing::is_cancelled(connecting));
  auto after = co_await fds_back_to(before);
  BOOST_CHECK_EQUAL(after, before);

  for (int round = 0; round < 20; ++round) {
    auto h = la::spawn(connects_forever(full->port), {.name = "connecting", .home = home});
    for (int i = 0; i < round % 5; ++i)
      co_await la::yield();
    if (round % 2 == 1)
      co_await la::testing::real_pause(1ms);
    h.cancel();
    BOOST_CHECK(co_await la::testing::is_cancelled(h));
  }
  auto in_the_end = co_await fds_back_to(before);
  BOOST_CHECK_EQUAL(in_the_end, before);
}
