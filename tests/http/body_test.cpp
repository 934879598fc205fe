// Response bodies from nginx: /1k and /big (4 MiB of non-repeating bytes) arrive byte-exact, with
// their Content-Length, over kept-alive and closing connections; /text comes gzipped and chunked
// and is handed out decoded; with decompress = false the client does not ask for gzip, and when the
// request asks itself the raw gzip bytes come through (inflated here with zlib, they are the file);
// chunks() and read_chunk() stream a body in several pieces that add up to it, after which the
// connection is pooled; a body over max_body_size fails with errc::too_large and its connection is
// closed, not reused. The process has as many descriptors after session.close() as before.
#define BOOST_TEST_MODULE http_body
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <zlib.h>

#include <string>
#include <vector>

#include "../support/net_probes.hpp"
#include "support/client_helpers.hpp"
#include "support/nginx_server.hpp"

using namespace http_test;
using namespace std::chrono_literals;

namespace {

// The gzip member in `data`, inflated; throws if it is not one.
std::string gunzip(const std::string& data) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
    throw std::runtime_error("inflateInit2 failed");
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    char buf[65536];
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END)
    throw std::runtime_error("not a complete gzip stream (zlib " + std::to_string(rc) + ")");
  return out;
}

la::job<std::vector<std::string>> all_chunks(http::response& resp) {
  std::vector<std::string> pieces;
  auto gen = resp.chunks();
  while (auto piece = co_await gen.next())
    pieces.push_back(std::move(*piece));
  co_return pieces;
}

la::job<std::vector<std::string>> all_read_chunks(http::response& resp) {
  std::vector<std::string> pieces;
  while (auto piece = co_await resp.read_chunk())
    pieces.push_back(std::move(*piece));
  co_return pieces;
}

std::string joined(const std::vector<std::string>& pieces) {
  std::string all;
  for (auto& p : pieces)
    all += p;
  return all;
}

} // namespace

LIBACTOR_TEST_CASE(static_files_arrive_byte_exact) {
  nginx_server nginx;
  const auto fds_before = co_await la::testing::fd_baseline();
  http::session s;
  const std::vector<std::string> names{"1k", "big"};
  for (const auto& name : names) {
    const auto expected = nginx.document(name);
    const std::vector<std::string> urls{nginx.url(std::string("/") + name), nginx.closing_url(std::string("/") + name)};
    for (const auto& url : urls) {
      auto resp = co_await s.get(url);
      BOOST_CHECK_EQUAL(resp.status(), 200);
      BOOST_CHECK(resp.content_length() == expected.size());
      auto body = co_await resp.body();
      BOOST_CHECK_EQUAL(body.size(), expected.size());
      BOOST_CHECK_MESSAGE(body == expected, url << ": the body differs from the file");
      BOOST_CHECK(resp.complete());
      BOOST_CHECK_EQUAL(resp.bytes_read(), expected.size());
    }
  }
  co_await s.close();
  BOOST_CHECK_EQUAL(co_await la::testing::fds_back_to(fds_before), fds_before);
}

LIBACTOR_TEST_CASE(a_gzipped_chunked_body_is_decoded) {
  nginx_server nginx;
  http::session s;
  auto resp = co_await s.get(nginx.url("/text"));
  BOOST_CHECK_EQUAL(resp.status(), 200);
  BOOST_CHECK_EQUAL(resp.headers().get("Content-Encoding").value_or("(none)"), "gzip");
  BOOST_CHECK_EQUAL(resp.headers().get("Transfer-Encoding").value_or("(none)"), "chunked");
  BOOST_CHECK(!resp.content_length().has_value());
  auto body = co_await resp.body();
  BOOST_CHECK_EQUAL(body.size(), nginx.document("text").size());
  BOOST_CHECK_MESSAGE(body == nginx.document("text"), "the decoded body differs from the file");
  // The chunked body was read to its end, so the connection is pooled and reused.
  BOOST_CHECK_EQUAL(co_await fetch_body(s, nginx.url("/1k")), nginx.document("1k"));
  BOOST_CHECK_EQUAL(s.stats().opened, 1u);
  BOOST_CHECK_EQUAL(s.stats().reused, 1u);
  co_await s.close();
}

LIBACTOR_TEST_CASE(without_decompression_the_raw_encoding_comes_through) {
  nginx_server nginx;
  http::session_options o;
  o.decompress = false;
  http::session s(o);
  // The client does not ask for gzip itself...
  auto plain = co_await s.get(nginx.url("/text"));
  BOOST_CHECK(!plain.headers().contains("Content-Encoding"));
  BOOST_CHECK(co_await plain.body() == nginx.document("text"));
  // ...and hands out what the server sent when the request asks for it.
  auto req = http::request("GET", nginx.url("/text")).header("Accept-Encoding", "gzip");
  auto resp = co_await s.send(std::move(req));
  BOOST_CHECK_EQUAL(resp.headers().get("Content-Encoding").value_or("(none)"), "gzip");
  auto raw = co_await resp.body();
  BOOST_REQUIRE_GE(raw.size(), 2u);
  BOOST_CHECK_EQUAL(static_cast<unsigned char>(raw[0]), 0x1f);
  BOOST_CHECK_EQUAL(static_cast<unsigned char>(raw[1]), 0x8b);
  BOOST_CHECK_LT(raw.size(), nginx_server::text_size);
  BOOST_CHECK(gunzip(raw) == nginx.document("text"));
  co_await s.close();
}

LIBACTOR_TEST_CASE(chunks_stream_a_body_in_pieces) {
  nginx_server nginx;
  const auto fds_before = co_await la::testing::fd_baseline();
  http::session s;
  auto resp = co_await s.get(nginx.url("/big"));
  auto pieces = co_await all_chunks(resp);
  BOOST_TEST_MESSAGE("/big came in " << pieces.size() << " pieces");
  BOOST_CHECK_GT(pieces.size(), 1u);
  for (auto& p : pieces)
    BOOST_CHECK(!p.empty());
  BOOST_CHECK_MESSAGE(joined(pieces) == nginx.document("big"), "the pieces do not add up to the file");
  BOOST_CHECK(resp.complete());
  BOOST_CHECK_EQUAL(resp.bytes_read(), nginx_server::big_size);
  resp.release();
  BOOST_CHECK_EQUAL(s.stats().idle, 1u);  // read to its end: pooled

  auto text = co_await s.get(nginx.url("/text"));  // gzip + chunked, read piece by piece
  auto text_pieces = co_await all_read_chunks(text);
  BOOST_CHECK_MESSAGE(joined(text_pieces) == nginx.document("text"), "the read_chunk pieces differ from the file");
  BOOST_CHECK(!(co_await text.read_chunk()).has_value());  // still at the end
  BOOST_CHECK_EQUAL(s.stats().opened, 1u);
  BOOST_CHECK_EQUAL(s.stats().reused, 1u);
  co_await s.close();
  BOOST_CHECK_EQUAL(co_await la::testing::fds_back_to(fds_before), fds_before);
}

LIBACTOR_TEST_CASE(a_body_over_max_body_size_fails_and_its_connection_is_not_reused) {
  nginx_server nginx;
  const auto fds_before = co_await la::testing::fd_baseline();
  http::session_options o;
  o.max_body_size = 1024 * 1024;
  http::session s(o);
  // With Content-Length (/big, 4 MiB)...
  auto big = co_await http_failure(fetch_body(s, nginx.url("/big")));
  BOOST_REQUIRE_MESSAGE(big.has_value(), "a 4 MiB body was accepted with max_body_size = 1 MiB");
  BOOST_CHECK_MESSAGE(big->kind() == http::errc::too_large, describe(big));
  BOOST_CHECK_EQUAL(s.stats().open, 0u);
  // ...and decoded from gzip without a length (/text, 200 KiB).
  http::session_options small = o;
  small.max_body_size = 100 * 1024;
  http::session t(small);
  auto text = co_await http_failure(fetch_body(t, nginx.url("/text")));
  BOOST_REQUIRE_MESSAGE(text.has_value(), "a 200 KiB decoded body was accepted with max_body_size = 100 KiB");
  BOOST_CHECK_MESSAGE(text->kind() == http::errc::too_large, describe(text));
  BOOST_CHECK_EQUAL(t.stats().open, 0u);

  // The next request opens a fresh connection.
  BOOST_CHECK(co_await fetch_body(s, nginx.url("/1k")) == nginx.document("1k"));
  BOOST_CHECK_EQUAL(s.stats().opened, 2u);
  BOOST_CHECK_EQUAL(s.stats().reused, 0u);
  co_await s.close();
  co_await t.close();
  BOOST_CHECK_EQUAL(co_await la::testing::fds_back_to(fds_before), fds_before);
}
