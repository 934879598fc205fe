// retry: the HTTP client's retries, against support/hostile_server.hpp.
// - A kept-alive connection that the server closed meanwhile (it reads the next request and closes
//   without answering) is retried transparently on a new connection for a GET (stats().stale), also
//   when several pooled connections are stale at once, but not for a POST, which fails with
//   errc::disconnected — unless it was declared idempotent.
// - Opt-in retries (retry_policy): a 503 is retried until a 200; when the attempts run out the last
//   503 is returned as a response, not thrown; a POST is not retried unless declared idempotent; a
//   read timeout is retried; a protocol error is not.
// - Backoff, under virtual time: without jitter the waits are initial_backoff × multiplier^n,
//   capped by max_backoff. Connect failures are retried too. Every session timeout is 0 there:
//   under virtual time a job waiting on a socket is idle, so any timeout would pass at once.
#define BOOST_TEST_MODULE retry
#include <boost/test/unit_test.hpp>
#include <libactor/http/session.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <optional>
#include <string>

#include "../support/net_probes.hpp"
#include "support/hostile_server.hpp"

namespace la = libactor;
namespace http = la::http;
using namespace std::chrono_literals;
using la::testing::eventually;
using la::testing::failure_of;
using la::testing::hostile_server;

namespace {

// "<status> <body>" of `req`'s response.
la::job<std::string> fetch(http::session& s, http::request req) {
  auto resp = co_await s.send(std::move(req));
  auto body = co_await resp.body();
  co_return std::to_string(resp.status()) + " " + body;
}

// Leaves `s` with one idle kept-alive connection that the server will drop at its next request.
la::job<void> make_stale_connection(http::session& s, const hostile_server& server) {
  auto first = co_await fetch(s, http::request("GET", server.url("/one-shot")));
  BOOST_REQUIRE_EQUAL(first, "200 one-shot");
  BOOST_REQUIRE_EQUAL(s.stats().idle, 1u);
}

// Retries at once, `attempts` times (real-time cases).
http::retry_policy quick_retries(unsigned attempts) {
  return {.attempts = attempts, .initial_backoff = 1ms, .multiplier = 1.0, .max_backoff = 1ms, .jitter = false};
}

// Exponential backoff without jitter (virtual-time cases).
http::retry_policy exact_backoff(unsigned attempts, double multiplier, la::clock::duration max_backoff) {
  return {.attempts = attempts, .initial_backoff = 1s, .multiplier = multiplier, .max_backoff = max_backoff, .jitter = false};
}

// A session with no timeout at all, for virtual time.
http::session_options no_timeouts() {
  http::session_options options;
  options.timeouts = {.total = 0s, .connect = 0s, .read = 0s};
  options.keepalive_timeout = 0s;
  return options;
}

// "/flaky?fail=<fail>&key=<key>".
std::string flaky(int fail, const std::string& key) { return "/flaky?fail=" + std::to_string(fail) + "&key=" + key; }

// Seconds of la::clock (virtual under virtual time) since `start`.
double seconds_since(la::clock::time_point start) {
  return std::chrono::duration<double>(la::clock::now() - start).count();
}

constexpr la::runtime_config virtual_time{.virtual_time = true};

} // namespace

// A case whose scenario (the braces that follow) fails instead of hanging after a minute.
#define RETRY_CASE_WITH(name, config)                                                           \
  la::job<void> name##_scenario();                                                             \
  LIBACTOR_TEST_CASE_WITH(name, config) {                                                      \
    co_await la::testing::within_a_minute(la::spawn(name##_scenario()));                       \
  }                                                                                            \
  la::job<void> name##_scenario()
#define RETRY_CASE(name) RETRY_CASE_WITH(name, la::runtime_config{})

RETRY_CASE(a_get_on_a_stale_kept_alive_connection_is_retried_transparently) {
  hostile_server server;
  http::session s;
  co_await make_stale_connection(s, server);
  auto second = co_await fetch(s, http::request("GET", server.url("/ok")));
  BOOST_CHECK_EQUAL(second, "200 ok");
  BOOST_CHECK_EQUAL(s.stats().stale, 1u);
  BOOST_CHECK_EQUAL(server.accepted(), 2u);
  BOOST_CHECK_EQUAL(server.hits("/ok"), 2u);  // dropped on the stale connection, then answered
  co_await s.close();
}

// A server that closes every idle connection at once (its keep-alive timeout) leaves several stale
// ones in the pool: the retry must not go out on another of them.
RETRY_CASE(a_get_is_not_retried_onto_another_stale_connection) {
  hostile_server server;
  http::session s;
  auto first = co_await s.get(server.url("/one-shot"));
  auto second = co_await s.get(server.url("/one-shot"));  // the first still holds its connection
  auto first_body = co_await first.body();
  auto second_body = co_await second.body();
  BOOST_REQUIRE_EQUAL(first_body + second_body, "one-shotone-shot");
  BOOST_REQUIRE_EQUAL(s.stats().idle, 2u);
  auto got = co_await fetch(s, http::request("GET", server.url("/ok")));
  BOOST_CHECK_EQUAL(got, "200 ok");
  BOOST_CHECK_EQUAL(server.accepted(), 3u);
  co_await s.close();
}

RETRY_CASE(a_post_on_a_stale_connection_is_not_retried) {
  hostile_server server;
  http::session s;
  co_await make_stale_connection(s, server);
  http::request post("POST", server.url("/ok"));
  post.body("payload");
  auto failure = co_await failure_of<http::error>(fetch(s, std::move(post)));
  BOOST_REQUIRE(failure.has_value());
  BOOST_CHECK_EQUAL(http::to_string(failure->kind()), http::to_string(http::errc::disconnected));
  BOOST_CHECK_EQUAL(server.accepted(), 1u);
  BOOST_CHECK_EQUAL(server.hits("/ok"), 1u);
  // The session goes on with a new connection.
  auto after = co_await fetch(s, http::request("GET", server.url("/ok")));
  BOOST_CHECK_EQUAL(after, "200 ok");
  BOOST_CHECK_EQUAL(server.accepted(), 2u);
  co_await s.close();
}

RETRY_CASE(a_post_declared_idempotent_is_retried_on_a_stale_connection) {
  hostile_server server;
  http::session s;
  co_await make_stale_connection(s, server);
  http::request post("POST", server.url("/ok"));
  post.body("payload").idempotent(true);
  auto second = co_await fetch(s, std::move(post));
  BOOST_CHECK_EQUAL(second, "200 ok");
  BOOST_CHECK_EQUAL(s.stats().stale, 1u);
  BOOST_CHECK_EQUAL(server.accepted(), 2u);
  BOOST_CHECK_EQUAL(server.hits("/ok"), 2u);
  co_await s.close();
}

RETRY_CASE(a_503_is_retried_until_it_succeeds) {
  hostile_server server;
  http::session_options options;
  options.retry = quick_retries(3);  // the session's policy
  http::session s{options};
  auto got = co_await fetch(s, http::request("GET", server.url(flaky(2, "get"))));
  BOOST_CHECK_EQUAL(got, "200 recovered");
  BOOST_CHECK_EQUAL(server.hits("/flaky"), 3u);
  co_await s.close();
}

RETRY_CASE(when_the_attempts_run_out_the_last_503_is_returned) {
  hostile_server server;
  http::session s;
  http::request req("GET", server.url(flaky(2, "short")));
  req.retry(quick_retries(1));  // the request's policy
  auto got = co_await fetch(s, std::move(req));
  BOOST_CHECK_EQUAL(got, "503 unavailable");
  BOOST_CHECK_EQUAL(server.hits("/flaky"), 2u);
  co_await s.close();
}

RETRY_CASE(a_post_is_retried_only_when_declared_idempotent) {
  hostile_server server;
  http::session_options options;
  options.retry = quick_retries(3);
  http::session s{options};
  http::request post("POST", server.url(flaky(1, "post")));
  post.body("payload");
  auto got = co_await fetch(s, std::move(post));
  BOOST_CHECK_EQUAL(got, "503 unavailable");
  BOOST_CHECK_EQUAL(server.hits("/flaky"), 1u);

  http::request idempotent_post("POST", server.url(flaky(1, "idempotent-post")));
  idempotent_post.body("payload").idempotent(true);
  auto retried = co_await fetch(s, std::move(idempotent_post));
  BOOST_CHECK_EQUAL(retried, "200 recovered");
  BOOST_CHECK_EQUAL(server.hits("/flaky"), 3u);
  co_await s.close();
}

RETRY_CASE(a_read_timeout_is_retried) {
  hostile_server server;
  http::session s;
  http::request req("GET", server.url("/silent"));
  const http::timeouts short_read{.read = 200ms};
  req.timeouts(short_read).retry(quick_retries(2));
  auto failure = co_await failure_of<http::error>(fetch(s, std::move(req)));
  BOOST_REQUIRE(failure.has_value());
  BOOST_CHECK_EQUAL(http::to_string(failure->kind()), http::to_string(http::errc::timeout));
  auto three_tries = [&server] { return server.hits("/silent") == 3; };
  BOOST_CHECK(co_await eventually(three_tries));
  BOOST_CHECK_EQUAL(server.hits("/silent"), 3u);
  co_await s.close();
}

RETRY_CASE(a_protocol_error_is_not_retried) {
  hostile_server server;
  http::session s;
  http::request req("GET", server.url("/malformed-status"));
  req.retry(quick_retries(3));
  auto failure = co_await failure_of<http::error>(fetch(s, std::move(req)));
  BOOST_REQUIRE(failure.has_value());
  BOOST_CHECK_EQUAL(http::to_string(failure->kind()), http::to_string(http::errc::protocol));
  BOOST_CHECK_EQUAL(server.hits("/malformed-status"), 1u);
  co_await s.close();
}

RETRY_CASE_WITH(backoff_grows_by_the_multiplier, virtual_time) {
  hostile_server server;
  http::session s{no_timeouts()};
  http::request req("GET", server.url(flaky(2, "backoff")));
  req.retry(exact_backoff(2, 2.0, 10s));
  auto start = la::clock::now();
  auto got = co_await fetch(s, std::move(req));
  auto waited = seconds_since(start);
  BOOST_CHECK_EQUAL(got, "200 recovered");
  BOOST_CHECK_EQUAL(server.hits("/flaky"), 3u);
  BOOST_CHECK_GE(waited, 1.0 + 2.0);
  BOOST_CHECK_LT(waited, 1.0 + 2.0 + 2.0);  // not 1 s + 2 s + some third wait
  co_await s.close();
}

RETRY_CASE_WITH(max_backoff_caps_each_wait, virtual_time) {
  hostile_server server;
  http::session s{no_timeouts()};
  http::request req("GET", server.url(flaky(3, "capped")));
  req.retry(exact_backoff(3, 10.0, 2s));  // 1 s, then 10 s and 100 s capped to 2 s
  auto start = la::clock::now();
  auto got = co_await fetch(s, std::move(req));
  auto waited = seconds_since(start);
  BOOST_CHECK_EQUAL(got, "200 recovered");
  BOOST_CHECK_EQUAL(server.hits("/flaky"), 4u);
  BOOST_CHECK_GE(waited, 1.0 + 2.0 + 2.0);
  BOOST_CHECK_LT(waited, 1.0 + 10.0);  // an uncapped second wait alone would pass this
  co_await s.close();
}

RETRY_CASE_WITH(connect_failures_are_retried, virtual_time) {
  auto port = la::testing::free_port();
  http::session s{no_timeouts()};
  http::request req("GET", "http://127.0.0.1:" + std::to_string(port) + "/");
  req.retry(exact_backoff(2, 2.0, 10s));
  auto start = la::clock::now();
  auto failure = co_await failure_of<http::error>(fetch(s, std::move(req)));
  auto waited = seconds_since(start);
  BOOST_REQUIRE(failure.has_value());
  BOOST_CHECK_EQUAL(http::to_string(failure->kind()), http::to_string(http::errc::connect));
  // Three attempts: two waits, 1 s and 2 s (a fourth attempt would add 4 s more).
  BOOST_CHECK_GE(waited, 1.0 + 2.0);
  BOOST_CHECK_LT(waited, 1.0 + 2.0 + 4.0);
  co_await s.close();
}
