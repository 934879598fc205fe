// Abandoning a response in the middle of its body leaves the pool consistent: a job streaming
// /slow/big (nginx sends it at 64 KiB/s) and cancelled after its first chunk, a deadline scope that
// cuts such a read, and a response destroyed or released half-read (or unread) each close their
// connection instead of pooling it — the open count returns to 0 and the next GET works on a fresh
// connection; a body read to its end is pooled (the control). A GET cancelled while it waits for a
// pool slot takes none with it. The process has as many descriptors after session.close() as before.
#define BOOST_TEST_MODULE http_cancel
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <string>

#include "../support/net_probes.hpp"
#include "support/client_helpers.hpp"
#include "support/nginx_server.hpp"

using namespace http_test;
using namespace std::chrono_literals;

namespace {

// Streams `url` with chunks(), setting `first` once a piece has arrived; the bytes read.
la::job<std::size_t> stream_body(http::session& s, std::string url, la::event& first) {
  auto resp = co_await s.get(std::move(url));
  auto gen = resp.chunks();
  std::size_t total = 0;
  while (auto piece = co_await gen.next()) {
    total += piece->size();
    first.set();
  }
  co_return total;
}

// After a request was abandoned: nothing is open, and a GET works on a new connection (nginx sees it
// as the first request of its connection).
la::job<void> expect_fresh_start(http::session& s, const nginx_server& nginx, std::uint64_t opened_before) {
  BOOST_CHECK_EQUAL(s.stats().open, 0u);
  BOOST_CHECK_EQUAL(s.stats().idle, 0u);
  auto conn = parse_conn(co_await fetch_body(s, nginx.url("/conn")));
  BOOST_CHECK_EQUAL(conn.requests, 1);
  BOOST_CHECK_EQUAL(s.stats().opened, opened_before + 1);
  BOOST_CHECK_EQUAL(s.stats().reused, 0u);
}

} // namespace

LIBACTOR_TEST_CASE(a_job_cancelled_after_its_first_chunk_closes_its_connection) {
  nginx_server nginx;
  const auto fds_before = co_await la::testing::fd_baseline();
  http::session s;
  la::event first;
  auto reader = la::spawn(stream_body(s, nginx.url("/slow/big"), first));
  bool got_one = co_await la::move_on_after(60s, first.wait());
  BOOST_REQUIRE_MESSAGE(got_one, "no piece of /slow/big within 60 s");
  BOOST_CHECK_EQUAL(s.stats().open, 1u);
  reader.cancel();
  BOOST_CHECK_EQUAL(co_await la::testing::outcome_of(reader), "cancelled");
  co_await expect_fresh_start(s, nginx, 1);
  co_await s.close();
  BOOST_CHECK_EQUAL(co_await la::testing::fds_back_to(fds_before), fds_before);
}

LIBACTOR_TEST_CASE(a_deadline_scope_that_cuts_a_streaming_read_closes_its_connection) {
  nginx_server nginx;
  const auto fds_before = co_await la::testing::fd_baseline();
  http::session s;
  la::event first;
  // /slow/big takes a minute; the scope ends it long before, wherever the request then is.
  auto read = co_await la::move_on_after(300ms, stream_body(s, nginx.url("/slow/big"), first));
  BOOST_CHECK(!read.has_value());
  BOOST_TEST_MESSAGE("a piece had arrived before the deadline: " << first.is_set());
  co_await expect_fresh_start(s, nginx, 1);
  co_await s.close();
  BOOST_CHECK_EQUAL(co_await la::testing::fds_back_to(fds_before), fds_before);
}

LIBACTOR_TEST_CASE(a_response_destroyed_half_read_closes_its_connection) {
  nginx_server nginx;
  const auto fds_before = co_await la::testing::fd_baseline();
  http::session s;
  {
    auto resp = co_await s.get(nginx.url("/big"));
    auto piece = co_await resp.read_chunk();
    BOOST_REQUIRE(piece.has_value());
    BOOST_CHECK(!piece->empty());
    BOOST_CHECK(!resp.complete());
    BOOST_CHECK_EQUAL(s.stats().open, 1u);
  }  // destroyed here
  co_await expect_fresh_start(s, nginx, 1);

  // Released before a byte of the body was read: closed too. (A body that has fully arrived, like a
  // small one behind its head, may be pooled even unread: the connection is not half-read then.)
  auto unread = co_await s.get(nginx.url("/big"));
  unread.release();
  BOOST_CHECK_EQUAL(s.stats().open, 0u);
  BOOST_CHECK_EQUAL(s.stats().opened, 2u);  // /big went on the connection /conn left in the pool
  BOOST_CHECK_EQUAL(s.stats().reused, 1u);

  // The control: a body read to its end is pooled.
  auto whole = co_await s.get(nginx.url("/1k"));
  BOOST_CHECK(co_await whole.body() == nginx.document("1k"));
  whole.release();
  BOOST_CHECK_EQUAL(s.stats().opened, 3u);
  BOOST_CHECK_EQUAL(s.stats().open, 1u);
  BOOST_CHECK_EQUAL(s.stats().idle, 1u);
  co_await s.close();
  BOOST_CHECK_EQUAL(co_await la::testing::fds_back_to(fds_before), fds_before);
}

// limit = 1 and the only connection held: a second GET waits for it and is cancelled. Once the first
// response is read, the slot is free and the connection is reused.
LIBACTOR_TEST_CASE(a_get_cancelled_while_waiting_for_a_slot_takes_none) {
  nginx_server nginx;
  const auto fds_before = co_await la::testing::fd_baseline();
  http::session_options o;
  o.limit = 1;
  http::session s(o);
  auto held = co_await s.get(nginx.url("/1k"));
  auto waiter = la::spawn(fetch_body(s, nginx.url("/conn")));
  for (int i = 0; i < 10; ++i)  // let it reach the wait (the outcome must be the same if it has not)
    co_await la::yield();
  waiter.cancel();
  BOOST_CHECK_EQUAL(co_await la::testing::outcome_of(waiter), "cancelled");
  BOOST_CHECK(co_await held.body() == nginx.document("1k"));
  auto after = co_await la::move_on_after(60s, fetch_body(s, nginx.url("/conn")));
  BOOST_REQUIRE_MESSAGE(after.has_value(), "no connection for a GET 60 s after the slot was freed");
  BOOST_CHECK_EQUAL(parse_conn(*after).requests, 2);
  BOOST_CHECK_EQUAL(s.stats().opened, 1u);
  co_await s.close();
  BOOST_CHECK_EQUAL(co_await la::testing::fds_back_to(fds_before), fds_before);
}
