// server: each connection's handler runs in its own job (a distinct this_job::id, on an I/O thread
// or on a worker as serve_options::handlers says) and stats() counts it; beyond max_connections a
// connection is accepted and closed at once (rejected) and the others keep working; a handler that
// throws ends only its own connection (failed); idle_timeout closes an idle connection (idle_closed)
// while an active one keeps working; shutdown(grace) lets a connection finish echoing what it had
// received, then its reads see end of stream, and stops accepting; a handler that ignores the end
// of stream is cancelled exactly when the grace passes (virtual time); start_server on a port in
// use throws connection_error naming the port; a cancelled la::serve returns only after shutting
// down. After every case the process has as many descriptors open as before (no socket leaks).
// Every case runs with handlers on I/O threads (the default) and on CAF's workers.
#define BOOST_TEST_MODULE server
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <array>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>
#include "../support/net_probes.hpp"
#include "../support/probes.hpp"

namespace la = libactor;
using namespace std::chrono_literals;
using la::testing::echo;
using la::testing::eventually;
using la::testing::failure_of;
using la::testing::no_timeout;

namespace {

la::job<la::stream> connect(const la::server& srv) {
  co_return co_await la::open_connection("127.0.0.1", srv.port(), no_timeout);
}

la::job<std::string> round_trip(la::stream& s, std::string message) {
  co_await s.write(message);
  co_return co_await s.read_exactly(message.size());
}

// How a client's connection ends: "eof", "reset", or the data that came instead.
la::job<std::string> read_end(la::stream& s) {
  std::string outcome;
  try {
    auto data = co_await s.read_some(4096);
    outcome = data.empty() ? "eof" : "data: " + data;
  } catch (const la::connection_error&) {
    outcome = "reset";
  }
  co_return outcome;
}
// As above within `limit` of real time ("still open" after it).
la::job<std::string> how_it_ends(la::stream& s, std::chrono::milliseconds limit = 20s) {
  auto end = co_await la::move_on_after(limit, read_end(s));
  co_return end ? *end : std::string("still open");
}
bool ended(const std::string& how) { return how == "eof" || how == "reset"; }

// What connection handlers saw, shared with the test body.
struct handler_probe {
  std::mutex mu;
  std::set<std::uint64_t> ids;
  std::atomic<int> started{0};
  std::atomic<int> got_first{0};
  std::atomic<int> saw_end{0};
  std::atomic<int> cancelled{0};
  la::event go;  // for handlers that wait for the test
};

// Greets with its job id (20 digits) and where it runs ('i': an I/O thread, 'w': a worker), then echoes.
la::job<void> greets_then_echoes(la::stream& s, handler_probe* p) {
  auto id = la::this_job::id();
  {
    std::lock_guard guard{p->mu};
    p->ids.insert(id);
  }
  char greeting[32];
  std::snprintf(greeting, sizeof greeting, "%020llu%c", static_cast<unsigned long long>(id),
                la::testing::on_io_thread() ? 'i' : 'w');
  co_await s.write(std::string_view(greeting, 21));
  co_await echo(s);
}

// Echoes bytes one at a time; an 'x' makes it throw.
la::job<void> fails_on_x(la::stream& s) {
  for (;;) {
    auto byte = co_await s.read_some(1);
    if (byte.empty())
      co_return;
    if (byte == "x")
      throw std::runtime_error("boom");
    co_await s.write(byte);
  }
}

// Reads at most 5 bytes ("part1", or nothing when a silent connection is drained at shutdown),
// waits for the test's go, then echoes them and everything after them.
la::job<void> echoes_after_go(la::stream& s, handler_probe* p) {
  ++p->started;
  auto first = co_await s.read_some(5);
  if (!first.empty())
    ++p->got_first;
  co_await p->go.wait();
  co_await s.write(first);
  co_await echo(s);
  ++p->saw_end;
}

// Reads once (at shutdown the read sees end of stream), then ignores that and waits for an event
// nobody sets.
la::job<void> ignores_the_end(la::stream& s, handler_probe* p) {
  ++p->started;
  try {
    auto rest = co_await s.read_some(4096);
    if (rest.empty())
      ++p->saw_end;
    co_await p->go.wait();
  } catch (const la::cancelled&) {
    ++p->cancelled;
    throw;
  }
}

template <class Fn>
la::connection_handler with_probe(Fn fn, handler_probe* p) {
  return [fn, p](la::stream& s) { return fn(s, p); };
}

} // namespace

// A case runs `name(options)` twice, with handlers on I/O threads and on workers, and checks that
// the descriptors it opened are all closed afterwards.
#define SERVER_CASE_WITH(name, config)                                                        \
  la::job<void> name(la::serve_options options);                                              \
  la::job<void> name##_checked(la::job_home handlers) {                                       \
    auto baseline = co_await la::testing::fd_baseline();                                      \
    la::serve_options options;                                                                \
    options.handlers = handlers;                                                              \
    co_await la::testing::within_a_minute(la::spawn(name(options)));                          \
    auto now = co_await la::testing::fds_back_to(baseline);                                   \
    BOOST_CHECK_EQUAL(now, baseline);                                                         \
  }                                                                                           \
  LIBACTOR_TEST_CASE_WITH(name##_io_handlers, config) {                                       \
    co_await name##_checked(la::job_home::io_thread);                                         \
  }                                                                                           \
  LIBACTOR_TEST_CASE_WITH(name##_worker_handlers, config) {                                   \
    co_await name##_checked(la::job_home::workers);                                           \
  }                                                                                           \
  la::job<void> name(la::serve_options options)
#define SERVER_CASE(name) SERVER_CASE_WITH(name, la::runtime_config{})

SERVER_CASE(each_connection_runs_in_its_own_job) {
  handler_probe probe;
  auto handler = with_probe(greets_then_echoes, &probe);
  auto srv = co_await la::start_server(handler, "127.0.0.1", 0, options);
  BOOST_CHECK_EQUAL(srv.address(), "127.0.0.1");
  BOOST_CHECK_NE(srv.port(), 0);
  char expected_home = options.handlers == la::job_home::io_thread ? 'i' : 'w';
  std::vector<la::stream> clients;
  std::set<std::string> greeted;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(co_await connect(srv));
    auto greeting = co_await clients.back().read_exactly(21);
    BOOST_CHECK_EQUAL(greeting.back(), expected_home);
    greeted.insert(greeting.substr(0, 20));
  }
  BOOST_CHECK_EQUAL(greeted.size(), 3u);
  {
    std::lock_guard guard{probe.mu};
    BOOST_CHECK_EQUAL(probe.ids.size(), 3u);
    BOOST_CHECK(!probe.ids.contains(la::this_job::id()));
  }
  for (auto& c : clients) {
    auto back = co_await round_trip(c, "ping");
    BOOST_CHECK_EQUAL(back, "ping");
  }
  BOOST_CHECK_EQUAL(srv.stats().accepted, 3u);
  BOOST_CHECK_EQUAL(srv.stats().active, 3u);
  clients.clear();
  auto all_ended = [&srv] { return srv.stats().active == 0; };
  BOOST_CHECK(co_await eventually(all_ended));
  BOOST_CHECK_EQUAL(srv.stats().failed, 0u);
}

SERVER_CASE(connections_beyond_max_connections_are_closed_at_once) {
  options.max_connections = 2;
  auto srv = co_await la::start_server(echo, "127.0.0.1", 0, options);
  auto a = co_await connect(srv);
  auto b = co_await connect(srv);
  auto a1 = co_await round_trip(a, "a1");
  auto b1 = co_await round_trip(b, "b1");
  BOOST_CHECK_EQUAL(a1 + b1, "a1b1");
  auto third = co_await connect(srv);  // the kernel accepts it; the server closes it
  co_await third.write("hello?");
  auto how = co_await how_it_ends(third);
  BOOST_CHECK_MESSAGE(ended(how), "the third connection: " << how);
  BOOST_CHECK_EQUAL(srv.stats().rejected, 1u);
  BOOST_CHECK_EQUAL(srv.stats().accepted, 2u);
  auto a2 = co_await round_trip(a, "a2");
  BOOST_CHECK_EQUAL(a2, "a2");
  // Once one closes, there is room again.
  co_await a.close();
  auto one_left = [&srv] { return srv.stats().active == 1; };
  BOOST_REQUIRE(co_await eventually(one_left));
  auto c = co_await connect(srv);
  auto c1 = co_await round_trip(c, "c1");
  BOOST_CHECK_EQUAL(c1, "c1");
  auto b2 = co_await round_trip(b, "b2");
  BOOST_CHECK_EQUAL(b2, "b2");
}

SERVER_CASE(a_failing_handler_ends_only_its_connection) {
  auto srv = co_await la::start_server(fails_on_x, "127.0.0.1", 0, options);
  auto good = co_await connect(srv);
  auto bad = co_await connect(srv);
  auto before = co_await round_trip(good, "ok");
  BOOST_CHECK_EQUAL(before, "ok");
  co_await bad.write("x");
  auto how = co_await how_it_ends(bad);
  BOOST_CHECK_MESSAGE(ended(how), "the failing connection: " << how);
  auto counted = [&srv] { return srv.stats().failed == 1; };
  BOOST_CHECK(co_await eventually(counted));
  auto after = co_await round_trip(good, "still ok");
  BOOST_CHECK_EQUAL(after, "still ok");
  BOOST_CHECK_EQUAL(srv.stats().accepted, 2u);
  BOOST_CHECK_EQUAL(srv.stats().active, 1u);
}

SERVER_CASE(idle_timeout_closes_an_idle_connection_only) {
  options.idle_timeout = 300ms;  // real time; the active client talks every few ms
  auto srv = co_await la::start_server(echo, "127.0.0.1", 0, options);
  auto idle = co_await connect(srv);
  auto active = co_await connect(srv);
  auto first = co_await round_trip(idle, "hi");
  BOOST_CHECK_EQUAL(first, "hi");
  auto idle_end = la::spawn(how_it_ends(idle));
  int talks = 0;
  for (; talks < 5000 && !idle_end.done(); ++talks) {
    auto back = co_await round_trip(active, "tick");
    BOOST_REQUIRE_EQUAL(back, "tick");
    co_await la::testing::real_pause(3ms);
  }
  auto how = co_await idle_end;
  BOOST_CHECK_MESSAGE(ended(how), "the idle connection: " << how);
  BOOST_CHECK_EQUAL(srv.stats().idle_closed, 1u);
  BOOST_CHECK_EQUAL(srv.stats().failed, 0u);
  auto still = co_await round_trip(active, "still here");
  BOOST_CHECK_EQUAL(still, "still here");
  BOOST_CHECK_EQUAL(srv.stats().active, 1u);
}

la::job<void> shuts_down(la::server& srv, std::chrono::milliseconds grace) { co_await srv.shutdown(grace); }

SERVER_CASE(shutdown_lets_connections_finish_what_they_received) {
  handler_probe probe;
  auto handler = with_probe(echoes_after_go, &probe);
  auto srv = co_await la::start_server(handler, "127.0.0.1", 0, options);
  auto talking = co_await connect(srv);
  auto silent = co_await connect(srv);
  co_await talking.write("part1part2");  // one segment: part2 has arrived once part1 is read
  auto both_reading = [&probe] { return probe.started == 2 && probe.got_first == 1; };
  BOOST_REQUIRE(co_await eventually(both_reading));
  auto stopping = la::spawn(shuts_down(srv, std::chrono::hours(1)));
  probe.go.set();
  auto echoed = co_await la::move_on_after(20s, talking.read_exactly(10));
  BOOST_CHECK_EQUAL(echoed.value_or("nothing"), "part1part2");
  auto talking_end = co_await how_it_ends(talking);
  BOOST_CHECK_EQUAL(talking_end, "eof");
  auto silent_end = co_await how_it_ends(silent);
  BOOST_CHECK_EQUAL(silent_end, "eof");
  co_await talking.close();  // as clients do at the end of stream (a server may linger until then)
  co_await silent.close();
  auto finished = co_await la::move_on_after(20s, stopping);
  BOOST_CHECK(finished);  // without waiting for the hour of grace
  BOOST_CHECK_EQUAL(probe.saw_end, 2);
  BOOST_CHECK_EQUAL(srv.stats().active, 0u);
  BOOST_CHECK_EQUAL(srv.stats().failed, 0u);
  auto refused = co_await failure_of<la::connection_error>(connect(srv));
  BOOST_CHECK(refused.has_value());  // no longer listening
}

// Virtual time: the clock jumps to the end of the grace as soon as every job waits.
SERVER_CASE_WITH(shutdown_cancels_handlers_when_the_grace_passes, (la::runtime_config{.virtual_time = true})) {
  handler_probe probe;
  auto handler = with_probe(ignores_the_end, &probe);
  auto srv = co_await la::start_server(handler, "127.0.0.1", 0, options);
  auto client = co_await connect(srv);  // no connect timeout: it would fire at once here
  auto started = [&probe] { return probe.started == 1; };
  BOOST_REQUIRE(co_await eventually(started));
  auto t0 = la::clock::now();
  co_await srv.shutdown(5s);
  BOOST_CHECK(la::clock::now() - t0 == 5s);
  BOOST_CHECK_EQUAL(probe.cancelled, 1);
  BOOST_CHECK_EQUAL(srv.stats().active, 0u);
  BOOST_CHECK_EQUAL(srv.stats().failed, 0u);  // a cancellation is not a failure
  auto how = co_await read_end(client);
  BOOST_CHECK(ended(how));
}

SERVER_CASE(start_server_on_a_port_in_use_names_the_port) {
  auto first = co_await la::start_server(echo, "127.0.0.1", 0, options);
  auto e = co_await failure_of<la::connection_error>(la::start_server(echo, "127.0.0.1", first.port(), options));
  BOOST_REQUIRE(e.has_value());
  BOOST_CHECK_MESSAGE(std::string(e->what()).find(std::to_string(first.port())) != std::string::npos, e->what());
  auto c = co_await connect(first);  // the first server is unaffected
  auto back = co_await round_trip(c, "ping");
  BOOST_CHECK_EQUAL(back, "ping");
}

// serve's handler: echoes, and counts its end (also when cancelled).
la::job<void> counted_echo(la::stream& s, handler_probe* p) {
  ++p->started;
  struct count_end {
    handler_probe* p;
    ~count_end() { ++p->saw_end; }
  } end{p};
  co_await echo(s);
}

// la::serve does not say when it listens: retry while the connection is refused.
la::job<la::stream> connect_when_listening(std::uint16_t port) {
  for (int attempt = 0;; ++attempt) {
    try {
      co_return co_await la::open_connection("127.0.0.1", port, no_timeout);
    } catch (const la::connection_error&) {
      if (attempt == 2000)
        throw;
    }
    co_await la::testing::real_pause(5ms);
  }
}

SERVER_CASE(a_cancelled_serve_returns_after_shutting_down) {
  options.shutdown_timeout = std::chrono::hours(1);  // the connection ends by itself, drained
  handler_probe probe;
  auto port = la::testing::free_port();
  auto serving = la::spawn(la::serve("127.0.0.1", port, with_probe(counted_echo, &probe), options));
  auto client = co_await connect_when_listening(port);
  auto back = co_await round_trip(client, "ping");
  BOOST_CHECK_EQUAL(back, "ping");
  serving.cancel();
  auto how = co_await how_it_ends(client);  // the connection finishes: its reads see the end
  BOOST_CHECK_EQUAL(how, "eof");
  co_await client.close();
  auto outcome = co_await la::testing::outcome_of(serving);
  BOOST_CHECK_EQUAL(outcome, "cancelled");
  BOOST_CHECK_EQUAL(probe.saw_end, 1);  // its handler had ended before serve returned
  auto refused = co_await failure_of<la::connection_error>(la::open_connection("127.0.0.1", port, no_timeout));
  BOOST_CHECK(refused.has_value());  // no longer listening
}
