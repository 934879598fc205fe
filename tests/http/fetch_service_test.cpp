// fetch_service: a job that other jobs ask for fetches; one pool shared by every asker.
#define BOOST_TEST_MODULE http_fetch_service
#include <boost/test/unit_test.hpp>

#include <libactor/http/fetch_service.hpp>
#include <libactor/libactor.hpp>

#include <set>

#include "support/nginx_server.hpp"

namespace la = libactor;
namespace http = libactor::http;

namespace {

const http_test::nginx_server& nginx() {
  static http_test::nginx_server server;
  return server;
}

la::job<http::fetch_result> ask_for(const http::fetch_service& svc, std::string url, bool keep) {
  co_return co_await svc.fetch(std::move(url), keep);
}

} // namespace

BOOST_AUTO_TEST_CASE(askers_share_one_pool_within_its_per_host_limit) {
  auto body = [](std::string url, std::string expected, std::string conn_url) -> la::job<void> {
    http::session_options options;
    options.limit_per_host = 2;
    auto svc = http::fetch_service::start(options);
    std::vector<la::job<http::fetch_result>> asks;
    for (int i = 0; i < 30; ++i)
      asks.push_back(ask_for(svc, url, i == 0));
    auto results = co_await la::gather(std::move(asks));  // 30 askers, each its own job
    for (auto& r : results) {
      BOOST_TEST(r.ok(), r.error);
      BOOST_TEST(r.status == 200);
      BOOST_TEST(r.bytes == 1024u);
    }
    BOOST_TEST((results[0].body == expected));
    BOOST_TEST(results[1].body.empty());  // not asked to keep it
    // nginx's $connection numbers the connections: at most 2 different ones served the 30 fetches.
    std::vector<la::job<http::fetch_result>> probes;
    for (int i = 0; i < 6; ++i)
      probes.push_back(ask_for(svc, conn_url, true));
    std::set<std::string> connections;
    for (auto& r : co_await la::gather(std::move(probes)))
      connections.insert(r.body.substr(0, r.body.find(' ')));  // "$connection $connection_requests"
    BOOST_TEST(connections.size() <= 2u);
    co_await svc.stop();
  };
  BOOST_TEST(la::run(body(nginx().url("/1k"), nginx().document("1k"), nginx().url("/conn"))) == 0);
}

BOOST_AUTO_TEST_CASE(failures_are_results_and_a_stopped_service_fails_its_askers) {
  auto body = [](std::string bad_url, std::string refused_url) -> la::job<void> {
    auto svc = http::fetch_service::start();
    auto invalid = co_await svc.fetch(bad_url);
    BOOST_TEST((invalid.error_kind == http::errc::invalid_url));
    BOOST_TEST(!invalid.ok());
    auto refused = co_await svc.fetch(refused_url);
    BOOST_TEST((refused.error_kind == http::errc::connect));
    BOOST_TEST(refused.error.find("refused") != std::string::npos, refused.error);
    co_await svc.stop();
    bool failed = false;
    try {
      co_await svc.fetch(refused_url);
    } catch (const la::ask_error&) {
      failed = true;  // the service is gone: the ask fails at once instead of hanging
    }
    BOOST_TEST(failed);
  };
  BOOST_TEST(la::run(body("not a url", "http://127.0.0.1:1/")) == 0);
}
