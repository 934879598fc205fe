// hostile: the HTTP client against a server that breaks HTTP on purpose (support/hostile_server.hpp).
// Each hostile answer — a malformed status line, a header block of megabytes, an invalid chunk
// size, a truncated body, a body that drips past the total timeout, a reset mid-body, no answer at
// all, a redirect loop, a plaintext answer to a TLS handshake, a gzip body that is not gzip, a gzip
// bomb — fails its own request with the expected http::errc and a message that names the problem
// and the URL, while 50 /ok requests on the same session, sent at the same time, all succeed.
// Afterwards, once the session is closed, the server has no connection open and this process has
// exactly as many descriptors as before (the client leaked no socket).
#define BOOST_TEST_MODULE hostile
#include <boost/test/unit_test.hpp>
#include <libactor/http/session.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <optional>
#include <string>
#include <vector>

#include "../support/net_probes.hpp"
#include "support/hostile_server.hpp"

namespace la = libactor;
namespace http = la::http;
using namespace std::chrono_literals;
using la::testing::eventually;
using la::testing::hostile_server;

namespace {

// How one fetch ended: the http::error it raised, or "<status> <body>" (the body's start).
struct fetch_outcome {
  std::optional<http::errc> kind;
  std::string text;
};

// Sends `req` and reads the whole body; never throws (gather would cancel the other fetches).
la::job<fetch_outcome> fetch(http::session& s, http::request req) {
  fetch_outcome out;
  try {
    auto resp = co_await s.send(std::move(req));
    auto body = co_await resp.body();
    out.text = std::to_string(resp.status()) + " " + body.substr(0, 100);  // a bomb that inflated: not all of it
  } catch (const http::error& e) {
    out.kind = e.kind();
    out.text = e.what();
  } catch (const std::exception& e) {
    out.text = std::string("not an http::error: ") + e.what();
  }
  co_return out;
}

// A GET of /ok sent once the slowest hostile fetches are under way, so that it runs beside them.
la::job<fetch_outcome> ok_beside_hostile_ones(http::session& s, hostile_server& server) {
  auto started = [&server] { return server.hits("/drip") > 0 && server.hits("/silent") > 0; };
  co_await eventually(started);
  co_return co_await fetch(s, http::request("GET", server.url("/ok")));
}

// One hostile request: where, what it must fail with, and a word its message must contain.
struct hostile_case {
  std::string url;
  http::errc expected;
  std::string problem;
  std::optional<http::timeouts> timeouts;
};

std::vector<hostile_case> hostile_cases(const hostile_server& server) {
  const http::timeouts drip_limits{.total = 300ms, .read = 5s};  // under the read timeout, over the total
  const http::timeouts silent_limits{.read = 300ms};
  return {
    {server.url("/malformed-status"), http::errc::protocol, "status", {}},
    {server.url("/huge-headers"), http::errc::too_large, "header", {}},
    {server.url("/bad-chunk"), http::errc::protocol, "chunk", {}},
    {server.url("/truncated"), http::errc::disconnected, "closed", {}},
    {server.url("/drip"), http::errc::timeout, "total", drip_limits},
    {server.url("/reset"), http::errc::disconnected, "reset", {}},
    {server.url("/silent"), http::errc::timeout, "read", silent_limits},
    {server.url("/loop"), http::errc::too_many_redirects, "redirect", {}},
    {server.not_tls_url(), http::errc::tls, "TLS", {}},
    {server.url("/bad-gzip"), http::errc::protocol, "gzip", {}},
    {server.url("/bomb"), http::errc::too_large, "body", {}},
  };
}

// "127.0.0.1:<port>/path" of a URL: what an error message must name, however it spells the scheme.
std::string where(const std::string& url) { return url.substr(url.find("127.0.0.1")); }

la::job<void> hostile_answers_fail_only_their_own_requests() {
  hostile_server server;
  auto baseline = co_await la::testing::fd_baseline();
  auto cases = hostile_cases(server);
  constexpr int ok_requests = 50;
  {
    http::session_options options;
    options.max_body_size = 1 << 20;  // the bomb inflates to 16 MiB
    http::session s{options};
    std::vector<la::job<fetch_outcome>> fetches;
    for (auto& c : cases) {
      http::request req("GET", c.url);
      if (c.timeouts)
        req.timeouts(*c.timeouts);
      fetches.push_back(fetch(s, std::move(req)));
    }
    for (int i = 0; i < ok_requests; ++i)
      fetches.push_back(ok_beside_hostile_ones(s, server));
    auto outcomes = co_await la::gather(std::move(fetches));

    for (std::size_t i = 0; i < cases.size(); ++i) {
      auto& c = cases[i];
      auto& got = outcomes[i];
      BOOST_TEST_MESSAGE(c.url << " -> " << got.text);
      BOOST_TEST_CONTEXT(c.url << " -> " << got.text) {
        BOOST_CHECK(got.kind.has_value());
        if (got.kind)
          BOOST_CHECK_EQUAL(http::to_string(*got.kind), http::to_string(c.expected));
        BOOST_CHECK_NE(got.text.find(where(c.url)), std::string::npos);
        BOOST_CHECK_NE(got.text.find(c.problem), std::string::npos);
      }
    }
    int ok = 0;
    for (std::size_t i = cases.size(); i < outcomes.size(); ++i) {
      if (!outcomes[i].kind && outcomes[i].text == "200 ok")
        ++ok;
      else
        BOOST_ERROR("an /ok request beside the hostile ones: " << outcomes[i].text);
    }
    BOOST_CHECK_EQUAL(ok, ok_requests);
    BOOST_CHECK_EQUAL(server.hits("/ok"), static_cast<std::uint64_t>(ok_requests));

    co_await s.close();
    BOOST_CHECK_EQUAL(s.stats().open, 0u);
  }
  auto all_closed = [&server] { return server.open() == 0; };
  BOOST_CHECK(co_await eventually(all_closed));
  BOOST_CHECK_EQUAL(server.open(), 0u);
  auto now = co_await la::testing::fds_back_to(baseline);
  BOOST_CHECK_EQUAL(now, baseline);
}

} // namespace

LIBACTOR_TEST_CASE(hostile_answers_fail_only_their_own_requests_and_leak_nothing) {
  co_await la::testing::within_a_minute(la::spawn(hostile_answers_fail_only_their_own_requests()));
}
