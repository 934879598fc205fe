// Redirects from nginx, followed by the client: 301, 302 and 303 turn a POST into a GET without its
// body, 307 and 308 repeat the POST with its body (nginx's /method shows the method and body that
// reached it); GET stays GET everywhere and HEAD stays HEAD on 303; relative and absolute Locations
// are resolved, also to another host; history() lists every hop with its status and URL; a loop
// ends in errc::too_many_redirects, as does a chain longer than max_redirects; with max_redirects 0
// the 3xx itself is returned.
#define BOOST_TEST_MODULE http_redirect
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <string>
#include <vector>

#include "../support/net_probes.hpp"
#include "support/client_helpers.hpp"
#include "support/nginx_server.hpp"

using namespace http_test;
using namespace std::chrono_literals;

namespace {

struct arrival {
  int status = 0;
  std::string method_header, body, final_target;
  std::vector<http::response_head> history;
};

la::job<arrival> follow(http::session& s, http::request req) {
  auto resp = co_await s.send(std::move(req));
  arrival a;
  a.status = resp.status();
  a.method_header = std::string(resp.headers().get("X-Method").value_or("(none)"));
  a.final_target = resp.url().target();
  a.history = resp.history();
  a.body = co_await resp.body();
  co_return a;
}

} // namespace

LIBACTOR_TEST_CASE(each_redirect_status_keeps_or_changes_the_method_as_specified) {
  nginx_server nginx;
  const auto fds_before = co_await la::testing::fd_baseline();
  http::session s;
  const std::vector<int> codes{301, 302, 303, 307, 308};
  for (int code : codes) {
    const auto from = nginx.url("/redirect/" + std::to_string(code));
    auto get = co_await follow(s, http::request("GET", from));
    BOOST_CHECK_MESSAGE(get.status == 200 && get.body == "GET \n" && get.final_target == "/method",
                        code << " after GET: " << get.status << " at " << get.final_target << ": " << get.body);
    BOOST_REQUIRE_EQUAL(get.history.size(), 1u);
    BOOST_CHECK_EQUAL(get.history[0].status, code);
    BOOST_CHECK_EQUAL(get.history[0].url.str(), from);
    BOOST_CHECK_EQUAL(get.history[0].headers.get("Location").value_or("(none)"), "/method");

    auto post = co_await follow(s, http::request("POST", from).body("hello-body", "text/plain"));
    const bool keeps_post = code == 307 || code == 308;
    const std::string method = keeps_post ? "POST" : "GET", body = keeps_post ? "POST hello-body\n" : "GET \n";
    BOOST_CHECK_MESSAGE(post.status == 200 && post.method_header == method && post.body == body,
                        code << " after POST: " << post.status << ", X-Method " << post.method_header
                             << ", body '" << post.body << "'; expected " << method << " and '" << body << "'");
    BOOST_CHECK_EQUAL(post.history.size(), 1u);
  }
  co_await s.close();
  BOOST_CHECK_EQUAL(co_await la::testing::fds_back_to(fds_before), fds_before);
}

LIBACTOR_TEST_CASE(head_stays_head_after_303) {
  nginx_server nginx;
  http::session s;
  auto head = co_await follow(s, http::request("HEAD", nginx.url("/redirect/303")));
  BOOST_CHECK_EQUAL(head.status, 200);
  BOOST_CHECK_EQUAL(head.method_header, "HEAD");
  BOOST_CHECK_EQUAL(head.body, "");
  BOOST_CHECK_EQUAL(head.history.size(), 1u);
  // The bodiless responses to HEAD left the connection usable.
  BOOST_CHECK_EQUAL(co_await fetch_body(s, nginx.url("/method")), "GET \n");
  BOOST_CHECK_EQUAL(s.stats().opened, 1u);
  co_await s.close();
}

LIBACTOR_TEST_CASE(history_lists_every_hop_in_order) {
  nginx_server nginx;
  http::session s;
  // /chain/1 -301-> /chain/2 -302-> http://localhost:PORT/chain/3 -307-> /method
  auto a = co_await follow(s, http::request("GET", nginx.url("/chain/1")));
  BOOST_CHECK_EQUAL(a.status, 200);
  BOOST_CHECK_EQUAL(a.body, "GET \n");
  BOOST_REQUIRE_EQUAL(a.history.size(), 3u);
  BOOST_CHECK_EQUAL(a.history[0].status, 301);
  BOOST_CHECK_EQUAL(a.history[0].url.str(), nginx.url("/chain/1"));
  BOOST_CHECK_EQUAL(a.history[1].status, 302);
  BOOST_CHECK_EQUAL(a.history[1].url.str(), nginx.url("/chain/2"));
  BOOST_CHECK_EQUAL(a.history[2].status, 307);
  BOOST_CHECK_EQUAL(a.history[2].url.str(), nginx.url("/chain/3", "localhost"));
  auto final_resp = co_await s.get(nginx.url("/chain/1"));
  BOOST_CHECK_EQUAL(final_resp.url().str(), nginx.url("/method", "localhost"));
  BOOST_CHECK_EQUAL(final_resp.url().host(), "localhost");
  co_await final_resp.body();

  // Three redirects: allowed with max_redirects(3), too many with 2.
  auto three = co_await follow(s, http::request("GET", nginx.url("/chain/1")).max_redirects(3));
  BOOST_CHECK_EQUAL(three.status, 200);
  auto two = co_await http_failure(follow(s, http::request("GET", nginx.url("/chain/1")).max_redirects(2)));
  BOOST_REQUIRE_MESSAGE(two.has_value(), "three redirects were followed with max_redirects(2)");
  BOOST_CHECK_MESSAGE(two->kind() == http::errc::too_many_redirects, describe(two));
  co_await s.close();
}

LIBACTOR_TEST_CASE(a_redirect_loop_ends_in_too_many_redirects) {
  nginx_server nginx;
  const auto fds_before = co_await la::testing::fd_baseline();
  http::session s;
  auto loop = co_await http_failure(fetch_body(s, nginx.url("/loop")));
  BOOST_REQUIRE_MESSAGE(loop.has_value(), "the redirect loop returned a response");
  BOOST_CHECK_MESSAGE(loop->kind() == http::errc::too_many_redirects, describe(loop));
  BOOST_TEST_MESSAGE("loop: " << describe(loop));
  // The session is still fine, and the loop's responses were read and pooled, not leaked.
  BOOST_CHECK_EQUAL(co_await fetch_body(s, nginx.url("/method")), "GET \n");
  BOOST_CHECK_LE(s.stats().open, 1u);
  co_await s.close();
  BOOST_CHECK_EQUAL(co_await la::testing::fds_back_to(fds_before), fds_before);
}

LIBACTOR_TEST_CASE(max_redirects_zero_returns_the_redirect_itself) {
  nginx_server nginx;
  http::session s;
  auto per_request = co_await follow(s, http::request("GET", nginx.url("/redirect/302")).max_redirects(0));
  BOOST_CHECK_EQUAL(per_request.status, 302);
  BOOST_CHECK_EQUAL(per_request.final_target, "/redirect/302");
  BOOST_CHECK(per_request.history.empty());
  BOOST_CHECK_NE(per_request.body.find("302 Found"), std::string::npos);

  http::session_options o;
  o.max_redirects = 0;
  http::session none(o);
  auto resp = co_await none.get(nginx.url("/redirect/307"));
  BOOST_CHECK_EQUAL(resp.status(), 307);
  BOOST_CHECK_EQUAL(resp.headers().get("Location").value_or("(none)"), "/method");
  co_await resp.body();
  co_await s.close();
  co_await none.close();
}
