// http::url: parsing (uriparser, RFC 3986) and what a client needs from it; resolution of the
// Location references that redirects carry.
#define BOOST_TEST_MODULE http_url
#include <boost/test/unit_test.hpp>

#include <libactor/http/errors.hpp>
#include <libactor/http/url.hpp>

namespace http = libactor::http;

namespace {
http::errc kind_of(std::string_view text) {
  try {
    http::url::parse(text);
  } catch (const http::error& e) {
    return e.kind();
  }
  BOOST_FAIL("no error for " << text);
  return http::errc::closed;
}
} // namespace

BOOST_AUTO_TEST_CASE(splits_an_absolute_url_into_request_parts) {
  auto u = http::url::parse("HTTP://Example.COM:8080/a/b?x=1&y=2#frag");
  BOOST_TEST(u.scheme() == "http");
  BOOST_TEST(u.host() == "example.com");
  BOOST_TEST(u.port() == 8080);
  BOOST_TEST(u.target() == "/a/b?x=1&y=2");  // no fragment on the wire
  BOOST_TEST(u.host_header() == "example.com:8080");
  BOOST_TEST(u.str() == "http://example.com:8080/a/b?x=1&y=2");
}

BOOST_AUTO_TEST_CASE(default_ports_and_paths) {
  auto plain = http::url::parse("http://h");
  BOOST_TEST(plain.port() == 80);
  BOOST_TEST(plain.target() == "/");
  BOOST_TEST(plain.host_header() == "h");
  auto tls = http::url::parse("https://h/");
  BOOST_TEST(tls.port() == 443);
  BOOST_TEST(tls.is_tls());
  BOOST_TEST(http::url::parse("http://h/dir/").target() == "/dir/");
  BOOST_TEST(http::url::parse("http://h?q").target() == "/?q");
}

BOOST_AUTO_TEST_CASE(ipv6_literals_keep_their_brackets_in_the_host_header_only) {
  auto u = http::url::parse("http://[::1]:9000/x");
  BOOST_TEST(u.host() == "::1");
  BOOST_TEST(u.host_header() == "[::1]:9000");
}

BOOST_AUTO_TEST_CASE(rejects_what_a_client_cannot_fetch_with_a_clear_error) {
  BOOST_TEST(kind_of("/relative/path") == http::errc::invalid_url);
  BOOST_TEST(kind_of("ftp://h/x") == http::errc::invalid_url);
  BOOST_TEST(kind_of("http:///nohost") == http::errc::invalid_url);
  BOOST_TEST(kind_of("http://h:0/") == http::errc::invalid_url);
  BOOST_TEST(kind_of("http://h:70000/") == http::errc::invalid_url);
  BOOST_TEST(kind_of("http://h/a b") == http::errc::invalid_url);
  BOOST_TEST(kind_of("http://h/\r\nX-Injected: 1") == http::errc::invalid_url);
  BOOST_TEST(kind_of("http://user:pw@h/") == http::errc::invalid_url);
  BOOST_TEST(kind_of("") == http::errc::invalid_url);
  try {
    http::url::parse("gopher://h/");
  } catch (const http::error& e) {
    BOOST_TEST(std::string(e.what()).find("gopher") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(resolves_location_references_as_rfc_3986_does) {
  auto base = http::url::parse("http://a.example/b/c/d;p?q");
  BOOST_TEST(base.resolve("g").str() == "http://a.example/b/c/g");
  BOOST_TEST(base.resolve("../g").str() == "http://a.example/b/g");
  BOOST_TEST(base.resolve("../../../g").str() == "http://a.example/g");
  BOOST_TEST(base.resolve("/g?x").str() == "http://a.example/g?x");
  BOOST_TEST(base.resolve("?y").str() == "http://a.example/b/c/d;p?y");
  BOOST_TEST(base.resolve("//other.example:81/z").str() == "http://other.example:81/z");
  BOOST_TEST(base.resolve("https://secure.example/").str() == "https://secure.example/");
  BOOST_CHECK_THROW(base.resolve("ftp://x/"), http::error);
}

BOOST_AUTO_TEST_CASE(same_origin_compares_scheme_host_and_port) {
  auto a = http::url::parse("http://h/x");
  BOOST_TEST(a.same_origin(http::url::parse("http://H:80/y")));
  BOOST_TEST(!a.same_origin(http::url::parse("https://h/x")));
  BOOST_TEST(!a.same_origin(http::url::parse("http://h:81/x")));
  BOOST_TEST(!a.same_origin(http::url::parse("http://g/x")));
}
