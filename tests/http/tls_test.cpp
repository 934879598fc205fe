// https against nginx with a CA made for the test: trusting that CA (ca_file), GETs verify and work,
// the host name goes out as SNI (nginx's /sni echoes it), an IP address verifies against the
// certificate's IP entry, and the connection is kept alive; the system's CAs reject the test CA's
// certificate (errc::tls, saying the verification failed); a certificate for another host name
// and a self-signed one fail with errc::tls, and work with verify_tls = false. No failed handshake
// leaves a connection open; the process has as many descriptors after session.close() as before.
#define BOOST_TEST_MODULE http_tls
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <algorithm>
#include <cctype>
#include <string>

#include "../support/net_probes.hpp"
#include "support/client_helpers.hpp"
#include "support/nginx_server.hpp"

using namespace http_test;
using namespace std::chrono_literals;

namespace {

http::session_options trusting(const nginx_server& nginx) {
  http::session_options o;
  o.ca_file = nginx.ca().ca_file().string();
  return o;
}

http::session_options unverified() {
  http::session_options o;
  o.verify_tls = false;
  return o;
}

bool mentions(std::string text, std::string word) {
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  };
  return lower(std::move(text)).find(lower(std::move(word))) != std::string::npos;
}

// The GET of `url` must fail with errc::tls; leaves the session with no connection open.
la::job<void> expect_tls_failure(http::session& s, std::string url) {
  auto failure = co_await http_failure(fetch_body(s, url));
  BOOST_REQUIRE_MESSAGE(failure.has_value(), url << " was fetched although its certificate must not verify");
  BOOST_CHECK_MESSAGE(failure->kind() == http::errc::tls, url << ": " << describe(failure));
  BOOST_TEST_MESSAGE(url << ": " << describe(failure));
  BOOST_CHECK_EQUAL(s.stats().open, 0u);
}

} // namespace

LIBACTOR_TEST_CASE(the_test_ca_verifies_and_the_host_name_goes_out_as_sni) {
  nginx_server nginx;
  const auto fds_before = co_await la::testing::fd_baseline();
  http::session s(trusting(nginx));
  BOOST_CHECK_EQUAL(co_await fetch_body(s, nginx.tls_url("/sni")), "localhost\n");
  BOOST_CHECK(co_await fetch_body(s, nginx.tls_url("/big")) == nginx.document("big"));
  BOOST_CHECK(co_await fetch_body(s, nginx.tls_url("/text")) == nginx.document("text"));  // gzip over TLS
  auto conn = parse_conn(co_await fetch_body(s, nginx.tls_url("/conn")));
  BOOST_CHECK_EQUAL(conn.requests, 4);  // all on one kept-alive TLS connection
  BOOST_CHECK_EQUAL(s.stats().opened, 1u);
  BOOST_CHECK_EQUAL(s.stats().reused, 3u);

  // By IP address: verified against the certificate's IP entry, and no SNI (RFC 6066 allows only
  // host names in it).
  BOOST_CHECK_EQUAL(co_await fetch_body(s, nginx.tls_url("/sni", "127.0.0.1")), "\n");
  co_await s.close();
  BOOST_CHECK_EQUAL(co_await la::testing::fds_back_to(fds_before), fds_before);
}

LIBACTOR_TEST_CASE(the_system_cas_reject_the_test_ca) {
  nginx_server nginx;
  const auto fds_before = co_await la::testing::fd_baseline();
  http::session s;  // ca_file empty: the system's certificate authorities
  auto failure = co_await http_failure(fetch_body(s, nginx.tls_url("/sni")));
  BOOST_REQUIRE_MESSAGE(failure.has_value(), "a certificate of the test CA verified against the system's CAs");
  BOOST_CHECK_MESSAGE(failure->kind() == http::errc::tls, describe(failure));
  BOOST_CHECK_MESSAGE(mentions(failure->what(), "verif"), "the message does not say verification failed: "
                                                               << failure->what());
  BOOST_CHECK_EQUAL(s.stats().open, 0u);
  co_await s.close();
  BOOST_CHECK_EQUAL(co_await la::testing::fds_back_to(fds_before), fds_before);
}

LIBACTOR_TEST_CASE(a_certificate_for_another_host_fails) {
  nginx_server nginx;
  const auto fds_before = co_await la::testing::fd_baseline();
  http::session s(trusting(nginx));
  co_await expect_tls_failure(s, nginx.wrong_host_url("/"));
  // The same CA's certificate for the right host still works in this session.
  BOOST_CHECK_EQUAL(co_await fetch_body(s, nginx.tls_url("/sni")), "localhost\n");
  co_await s.close();

  http::session lax(unverified());
  BOOST_CHECK_EQUAL(co_await fetch_body(lax, nginx.wrong_host_url("/")), "wrong host\n");
  co_await lax.close();
  BOOST_CHECK_EQUAL(co_await la::testing::fds_back_to(fds_before), fds_before);
}

LIBACTOR_TEST_CASE(a_self_signed_certificate_fails_unless_verification_is_off) {
  nginx_server nginx;
  const auto fds_before = co_await la::testing::fd_baseline();
  http::session s(trusting(nginx));
  co_await expect_tls_failure(s, nginx.self_signed_url("/"));
  co_await s.close();

  http::session lax(unverified());
  BOOST_CHECK_EQUAL(co_await fetch_body(lax, nginx.self_signed_url("/")), "self-signed\n");
  BOOST_CHECK_EQUAL(co_await fetch_body(lax, nginx.self_signed_url("/sni")), "localhost\n");
  BOOST_CHECK_EQUAL(lax.stats().opened, 1u);
  co_await lax.close();
  BOOST_CHECK_EQUAL(co_await la::testing::fds_back_to(fds_before), fds_before);
}

// Which exception a bad ca_file raises is the client's choice; it must say which file.
LIBACTOR_TEST_CASE(a_missing_ca_file_is_a_clear_error) {
  nginx_server nginx;
  http::session_options o;
  o.ca_file = (std::filesystem::temp_directory_path() / "libactor-no-such-ca.pem").string();
  http::session s(o);
  auto failure = co_await failure_message(fetch_body(s, nginx.tls_url("/sni")));
  BOOST_REQUIRE_MESSAGE(failure.has_value(), "a session with a missing ca_file fetched over https");
  BOOST_TEST_MESSAGE("missing ca_file: " << *failure);
  BOOST_CHECK_MESSAGE(mentions(*failure, "libactor-no-such-ca.pem"), "the message does not name the file: " << *failure);
  co_await s.close();
}
