// The session's connection pool against nginx: sequential GETs share one kept-alive connection (the
// client's counters and nginx's own connection numbers agree), while a server that closes after
// every response gets a new connection each time and nothing stale is pooled; limit_per_host and
// the total limit hold while 20 GETs run at once (an idle connection to one host makes room for
// another); the connect timeout covers the wait for a pool slot; an idle connection expires after
// keepalive_timeout, and is closed then even if no request comes (virtual time). The process has as
// many descriptors after session.close() as before the session.
#define BOOST_TEST_MODULE http_pool
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <atomic>
#include <set>
#include <string>
#include <vector>

#include "../support/net_probes.hpp"
#include "support/client_helpers.hpp"
#include "support/nginx_server.hpp"

using namespace http_test;
using namespace std::chrono_literals;

namespace {

// Every timeout off: under virtual time a wait on a socket counts as idle, so any timeout would
// pass while nginx is still answering.
http::session_options without_timeouts(http::session_options o) {
  o.timeouts = http::timeouts{.total = 0s, .connect = 0s, .read = 0s};
  return o;
}

la::job<void> fetch_all(http::session& s, std::vector<std::string> urls, std::vector<std::string>& bodies,
                        std::atomic<bool>& done) {
  std::vector<la::job<std::string>> jobs;
  for (auto& url : urls)
    jobs.push_back(fetch_body(s, url));
  bodies = co_await la::gather(std::move(jobs));
  done = true;
}

// Runs the GETs of `urls` at once beside a probe of the pool; the most connections open at a time.
la::job<std::size_t> fetch_all_watching_open(http::session& s, std::vector<std::string> urls,
                                             std::vector<std::string>& bodies) {
  std::atomic<bool> done{false};
  auto probe = la::spawn(max_open_until(s, done));
  try {
    co_await fetch_all(s, std::move(urls), bodies, done);
  } catch (...) {
    done = true;
    throw;
  }
  co_return co_await probe;
}

} // namespace

LIBACTOR_TEST_CASE(sequential_gets_reuse_one_kept_alive_connection) {
  nginx_server nginx;
  const auto fds_before = co_await la::testing::fd_baseline();
  http::session s;
  std::set<long> server_connections;
  for (int i = 0; i < 10; ++i) {
    auto body = co_await fetch_body(s, nginx.url("/conn"));
    auto info = parse_conn(body);
    server_connections.insert(info.connection);
    BOOST_CHECK_EQUAL(info.requests, i + 1);
  }
  auto st = s.stats();
  BOOST_CHECK_EQUAL(st.opened, 1u);
  BOOST_CHECK_EQUAL(st.reused, 9u);
  BOOST_CHECK_EQUAL(st.open, 1u);
  BOOST_CHECK_EQUAL(st.idle, 1u);
  BOOST_CHECK_EQUAL(server_connections.size(), 1u);  // nginx saw one connection too
  co_await s.close();
  BOOST_CHECK_EQUAL(s.stats().open, 0u);
  BOOST_CHECK_EQUAL(co_await la::testing::fds_back_to(fds_before), fds_before);
}

LIBACTOR_TEST_CASE(a_server_that_closes_gets_a_new_connection_each_time) {
  nginx_server nginx;
  const auto fds_before = co_await la::testing::fd_baseline();
  const auto expected = nginx.document("1k");
  http::session s;
  for (int i = 0; i < 10; ++i) {
    auto resp = co_await s.get(nginx.closing_url("/1k"));
    BOOST_CHECK_EQUAL(resp.headers().get("Connection").value_or(""), "close");
    auto body = co_await resp.body();
    BOOST_CHECK(body == expected);
  }
  auto st = s.stats();
  BOOST_CHECK_EQUAL(st.opened, 10u);
  BOOST_CHECK_EQUAL(st.reused, 0u);  // a connection the server closes is never pooled...
  BOOST_CHECK_EQUAL(st.stale, 0u);   // ...so no request found one closed
  BOOST_CHECK_EQUAL(st.open, 0u);
  co_await s.close();
  BOOST_CHECK_EQUAL(co_await la::testing::fds_back_to(fds_before), fds_before);
}

LIBACTOR_TEST_CASE(limit_per_host_bounds_concurrent_gets) {
  nginx_server nginx;
  const auto fds_before = co_await la::testing::fd_baseline();
  http::session_options o;
  o.limit_per_host = 2;
  http::session s(o);
  std::vector<std::string> urls(20, nginx.url("/conn"));
  std::vector<std::string> bodies;
  auto most_open = co_await fetch_all_watching_open(s, urls, bodies);
  BOOST_REQUIRE_EQUAL(bodies.size(), 20u);
  std::set<long> server_connections;
  for (auto& body : bodies) {
    auto info = parse_conn(body);
    BOOST_CHECK_MESSAGE(info.connection >= 0, "unexpected body: " << body);
    server_connections.insert(info.connection);
  }
  BOOST_CHECK_LE(server_connections.size(), 2u);
  BOOST_CHECK_LE(most_open, 2u);
  BOOST_CHECK_LE(s.stats().opened, 2u);
  BOOST_CHECK_EQUAL(s.stats().opened + s.stats().reused, 20u);
  co_await s.close();
  BOOST_CHECK_EQUAL(co_await la::testing::fds_back_to(fds_before), fds_before);
}

// 127.0.0.1 and localhost are two pool keys on the same server: with limit = 2 and requests to both,
// idle connections to one host must be closed to make room for the other.
LIBACTOR_TEST_CASE(the_total_limit_holds_across_hosts) {
  nginx_server nginx;
  const auto fds_before = co_await la::testing::fd_baseline();
  http::session_options o;
  o.limit = 2;
  http::session s(o);
  std::vector<std::string> urls;
  for (int i = 0; i < 20; ++i)
    urls.push_back(nginx.url("/conn", i % 2 == 0 ? "127.0.0.1" : "localhost"));
  std::vector<std::string> bodies;
  auto most_open = co_await fetch_all_watching_open(s, urls, bodies);
  BOOST_REQUIRE_EQUAL(bodies.size(), 20u);
  for (auto& body : bodies)
    BOOST_CHECK_MESSAGE(parse_conn(body).connection >= 0, "unexpected body: " << body);
  BOOST_CHECK_LE(most_open, 2u);
  BOOST_CHECK_LE(s.stats().open, 2u);
  BOOST_CHECK_GE(s.stats().opened, 2u);  // both hosts got a connection of their own
  BOOST_TEST_MESSAGE("opened " << s.stats().opened << ", reused " << s.stats().reused);
  co_await s.close();
  BOOST_CHECK_EQUAL(co_await la::testing::fds_back_to(fds_before), fds_before);
}

// With limit = 1 and the only connection held by an unread response, a second GET waits for a slot;
// its connect timeout covers that wait. Once the first response is read, the slot is free again.
LIBACTOR_TEST_CASE(the_connect_timeout_covers_the_wait_for_a_pool_slot) {
  nginx_server nginx;
  http::session_options o;
  o.limit = 1;
  http::session s(o);
  auto held = co_await s.get(nginx.url("/1k"));

  auto req = http::request("GET", nginx.url("/conn")).timeouts(http::timeouts{.connect = 100ms});
  // A bound in case the wait is not covered at all: the test fails instead of hanging.
  auto second = co_await la::move_on_after(60s, http_failure(s.send(std::move(req))));
  BOOST_REQUIRE_MESSAGE(second.has_value(), "the second GET still waits for a connection after 60 s");
  BOOST_REQUIRE_MESSAGE(second->has_value(), "the second GET did not fail");
  BOOST_CHECK_MESSAGE((*second)->kind() == http::errc::timeout, describe(*second));
  BOOST_CHECK_EQUAL(s.stats().opened, 1u);

  BOOST_CHECK(co_await held.body() == nginx.document("1k"));
  auto after = co_await fetch_body(s, nginx.url("/conn"));
  BOOST_CHECK_EQUAL(parse_conn(after).requests, 2);  // the held connection, reused
  BOOST_CHECK_EQUAL(s.stats().opened, 1u);
  co_await s.close();
}

// Virtual time: the sleeps take no real time, and keepalive_timeout (5 s) is measured exactly.
LIBACTOR_TEST_CASE_WITH(an_idle_connection_expires_after_keepalive_timeout,
                        (la::runtime_config{.virtual_time = true})) {
  nginx_server nginx;
  la::testing::watchdog bound(la::this_job::ref(), 120s);
  http::session_options o;
  o.keepalive_timeout = 5s;
  http::session s(without_timeouts(o));

  auto first = parse_conn(co_await fetch_body(s, nginx.url("/conn")));
  co_await la::sleep(1s);
  auto second = parse_conn(co_await fetch_body(s, nginx.url("/conn")));
  BOOST_CHECK_EQUAL(s.stats().opened, 1u);  // 1 s idle: still pooled
  BOOST_CHECK_EQUAL(s.stats().reused, 1u);
  BOOST_CHECK_EQUAL(second.connection, first.connection);

  co_await la::sleep(10s);
  auto third = parse_conn(co_await fetch_body(s, nginx.url("/conn")));
  BOOST_CHECK_EQUAL(s.stats().opened, 2u);  // 10 s idle: expired, a new one
  BOOST_CHECK_EQUAL(s.stats().reused, 1u);
  BOOST_CHECK_NE(third.connection, first.connection);
  BOOST_CHECK(!bound.fired());
  co_await s.close();
}

// session_options::keepalive_timeout: "An idle kept-alive connection is closed after this long
// unused" — also when no request comes to notice it (its descriptor is not held meanwhile).
LIBACTOR_TEST_CASE_WITH(an_expired_connection_closes_without_a_new_request,
                        (la::runtime_config{.virtual_time = true})) {
  nginx_server nginx;
  la::testing::watchdog bound(la::this_job::ref(), 120s);
  http::session_options o;
  o.keepalive_timeout = 5s;
  http::session s(without_timeouts(o));
  co_await fetch_body(s, nginx.url("/conn"));
  BOOST_CHECK_EQUAL(s.stats().idle, 1u);
  co_await la::sleep(10s);
  BOOST_CHECK_EQUAL(s.stats().open, 0u);
  BOOST_CHECK_EQUAL(s.stats().idle, 0u);
  BOOST_CHECK(!bound.fired());
  co_await s.close();
}
