// wait: first_completed / first_exception / all_completed split handles into done and pending and
// cancel nothing; as_completed yields handles in the order their jobs end.
#define BOOST_TEST_MODULE wait
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <optional>
#include <stdexcept>
#include <vector>

namespace la = libactor;
using namespace std::chrono_literals;

namespace {
struct go {};

la::job<int> on_go(int v) {
  co_await la::receive<go>();
  co_return v;
}

la::job<int> soon(int v) {
  co_await la::yield();
  co_return v;
}

la::job<int> fails_soon() {
  co_await la::yield();
  throw std::runtime_error("wait boom");
}
} // namespace

LIBACTOR_TEST_CASE(first_completed_leaves_the_rest_running) {
  auto before = la::live_job_frames();
  auto held = la::spawn(on_go(1));
  auto quick = la::spawn(soon(2));
  std::vector<la::handle<int>> both{held, quick};
  auto r = co_await la::wait(both, la::wait_mode::first_completed);
  auto& done = r.done;
  auto& pending = r.pending;
  BOOST_REQUIRE_EQUAL(done.size(), 1u);
  BOOST_REQUIRE_EQUAL(pending.size(), 1u);
  BOOST_CHECK(done[0] == quick);
  BOOST_CHECK(pending[0] == held);
  BOOST_CHECK_EQUAL(co_await done[0], 2);
  held.send(go{});  // not cancelled: it still finishes normally
  BOOST_CHECK_EQUAL(co_await held, 1);
  done.clear();
  pending.clear();
  BOOST_CHECK_EQUAL(la::live_job_frames(), before);
}

LIBACTOR_TEST_CASE(first_exception_returns_on_a_failure) {
  auto held = la::spawn(on_go(1));
  auto bad = la::spawn(fails_soon());
  std::vector<la::handle<int>> both{held, bad};
  auto r = co_await la::wait(both, la::wait_mode::first_exception);
  auto& done = r.done;
  auto& pending = r.pending;
  BOOST_REQUIRE_EQUAL(done.size(), 1u);
  BOOST_CHECK(done[0] == bad);
  BOOST_REQUIRE_EQUAL(pending.size(), 1u);
  bool threw = false;
  try {
    co_await bad;
  } catch (const std::runtime_error&) {
    threw = true;
  }
  BOOST_CHECK(threw);
  held.send(go{});
  BOOST_CHECK_EQUAL(co_await held, 1);

  // Without a failure it waits for all.
  std::vector<la::handle<int>> fine{la::spawn(soon(1)), la::spawn(soon(2))};
  auto all = co_await la::wait(fine, la::wait_mode::first_exception);
  BOOST_CHECK_EQUAL(all.done.size(), 2u);
  BOOST_CHECK(all.pending.empty());
}

LIBACTOR_TEST_CASE(all_completed_waits_for_every_job) {
  auto a = la::spawn(on_go(1));
  auto b = la::spawn(soon(2));
  a.send(go{});
  std::vector<la::handle<int>> both{a, b};
  auto result = co_await la::wait(both);
  BOOST_CHECK_EQUAL(result.done.size(), 2u);
  BOOST_CHECK(result.pending.empty());
  BOOST_CHECK(a.done());
  BOOST_CHECK(b.done());

  std::vector<la::handle<int>> nothing;
  auto empty = co_await la::wait(nothing, la::wait_mode::first_completed);
  BOOST_CHECK(empty.done.empty() && empty.pending.empty());
}

LIBACTOR_TEST_CASE(as_completed_yields_in_completion_order) {
  std::vector<la::handle<int>> hs{la::spawn(on_go(0)), la::spawn(on_go(1)), la::spawn(on_go(2))};
  auto ready = la::as_completed(hs);
  BOOST_CHECK_EQUAL(ready.remaining(), 3u);
  std::vector<int> order;
  for (int next : {2, 0, 1}) {
    hs[next].send(go{});
    auto h = co_await ready.next();
    BOOST_REQUIRE(h.has_value());
    order.push_back(co_await *h);
  }
  BOOST_CHECK((order == std::vector<int>{2, 0, 1}));
  auto end = co_await ready.next();
  BOOST_CHECK(!end.has_value());
  BOOST_CHECK_EQUAL(ready.remaining(), 0u);
}

// asyncio.wait semantics: cancelling the waiting job does not cancel the jobs it waits on.
LIBACTOR_TEST_CASE(cancelling_the_waiter_leaves_the_awaited_jobs_running) {
  struct go {};
  auto worker = la::spawn([]() -> la::job<int> {
    co_await la::receive<go>();
    co_return 5;
  }());
  auto waiter = la::spawn([](std::vector<la::handle<int>> hs) -> la::job<void> {
    co_await la::wait(std::move(hs), la::wait_mode::all_completed);
  }({worker}));
  co_await la::yield();
  waiter.cancel();
  BOOST_CHECK_THROW(co_await waiter, la::cancelled);
  BOOST_CHECK(!worker.done());
  worker.send(go{});
  BOOST_CHECK_EQUAL(co_await worker, 5);
}

// A wait that *begins* while its job is already cancelled (the job swallowed one `cancelled` and
// waits again, as a shutdown path does) raises at once and leaves the jobs alone. It used to resume
// the waiting coroutine from inside its own await_suspend, recursing until the stack overflowed.
LIBACTOR_TEST_CASE(a_wait_begun_while_cancelled_raises_and_leaves_the_jobs_running) {
  struct go {};
  auto worker = la::spawn([]() -> la::job<int> {
    co_await la::receive<go>();
    co_return 5;
  }());
  auto waiter = la::spawn([](std::vector<la::handle<int>> hs) -> la::job<bool> {
    try {
      co_await la::sleep(1h);
    } catch (const la::cancelled&) {
    }
    try {
      co_await la::wait(std::move(hs), la::wait_mode::all_completed);
    } catch (const la::cancelled&) {
      co_return true;
    }
    co_return false;
  }({worker}));
  co_await la::yield();
  waiter.cancel();
  BOOST_CHECK(co_await waiter);
  BOOST_CHECK(!worker.done());
  worker.send(go{});
  BOOST_CHECK_EQUAL(co_await worker, 5);
}
