// call_later / call_at / call_every: timers owned by a job, whose callbacks run in the job's own
// turns and stop with the job. Virtual time: every instant is exact.
#define BOOST_TEST_MODULE call_later
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <thread>
#include <vector>

#include "../support/log_capture.hpp"

namespace la = libactor;
using namespace std::chrono_literals;

namespace {
la::runtime_config config() { return la::runtime_config{.virtual_time = true}; }

struct ticked {};

// Ticks every second until its coroutine ends after 3.5 s; reports each tick to `report`.
la::job<void> ticker(la::job_ref report, int* ticks) {
  la::call_every(1s, [report, ticks] {
    ++*ticks;
    report.send(ticked{});
  });
  co_await la::sleep(3500ms);
}
} // namespace

LIBACTOR_TEST_CASE_WITH(call_later_fires_once_at_its_instant, config()) {
  auto start = la::clock::now();
  std::vector<la::clock::duration> fired;
  auto t = la::call_later(250ms, [&] { fired.push_back(la::clock::now() - start); });
  BOOST_CHECK(t.active());
  co_await la::sleep(1s);
  BOOST_REQUIRE_EQUAL(fired.size(), 1u);
  BOOST_CHECK(fired[0] == 250ms);
  BOOST_CHECK(!t.active());
  la::call_at(start + 1500ms, [&] { fired.push_back(la::clock::now() - start); });
  co_await la::sleep(1s);
  BOOST_REQUIRE_EQUAL(fired.size(), 2u);
  BOOST_CHECK(fired[1] == 1500ms);
}

LIBACTOR_TEST_CASE_WITH(call_every_fires_at_a_fixed_rate_until_cancelled, config()) {
  auto start = la::clock::now();
  std::vector<la::clock::duration> fired;
  auto t = la::call_every(100ms, [&] { fired.push_back(la::clock::now() - start); });
  co_await la::sleep(350ms);
  t.cancel();
  BOOST_CHECK(!t.active());
  co_await la::sleep(1s);
  BOOST_CHECK((fired == std::vector<la::clock::duration>{100ms, 200ms, 300ms}));
}

LIBACTOR_TEST_CASE_WITH(callbacks_run_in_the_owning_jobs_turn_while_it_is_suspended, config()) {
  auto me = la::this_job::id();
  bool suspended = false;
  int checks = 0;
  auto t = la::call_every(10ms, [&] {
    BOOST_CHECK_EQUAL(la::this_job::id(), me);  // same job, and its coroutine is not running
    BOOST_CHECK(suspended);
    ++checks;
  });
  for (int i = 0; i < 5; ++i) {
    suspended = true;
    co_await la::sleep(25ms);
    suspended = false;
  }
  t.cancel();
  BOOST_CHECK_GE(checks, 10);
}

LIBACTOR_TEST_CASE_WITH(a_jobs_timers_stop_when_it_ends, config()) {
  int ticks = 0;
  auto h = la::spawn(ticker(la::this_job::ref(), &ticks), {.name = "ticker"});
  co_await h;
  BOOST_CHECK_EQUAL(ticks, 3);  // at 1, 2 and 3 s; the job ended at 3.5 s
  co_await la::sleep(10s);
  BOOST_CHECK_EQUAL(ticks, 3);
  for (int i = 0; i < 3; ++i)
    co_await la::receive<ticked>();
}

BOOST_AUTO_TEST_CASE(a_throwing_callback_is_logged_and_stopped) {
  la::testing::log_capture log;
  int calls = 0;
  auto body = [](int& n) -> la::job<void> {
    auto t = la::call_every(1s, [&n] {
      ++n;
      throw std::runtime_error("tick failed");
    });
    co_await la::sleep(5s);
    BOOST_CHECK(!t.active());
  };
  la::testing::run_test(body(calls), config());
  BOOST_CHECK_EQUAL(calls, 1);
  BOOST_CHECK_EQUAL(log.lines_with({"timer callback threw", "tick failed"}), 1);
}

LIBACTOR_TEST_CASE_WITH(misuse_is_a_usage_error, config()) {
  BOOST_CHECK_THROW(la::call_every(0s, [] {}), la::usage_error);
  auto t = la::call_later(1h, [] {});
  // Another job may not touch this job's timer.
  auto other = la::spawn([](la::timer timer) -> la::job<bool> {
    try {
      timer.cancel();
    } catch (const la::usage_error&) {
      co_return true;
    }
    co_return false;
  }(t));
  BOOST_CHECK(co_await other);
  t.cancel();
  bool thrown = false;
  std::thread([&] {
    try {
      la::call_later(1s, [] {});
    } catch (const la::usage_error&) {
      thrown = true;
    }
  }).join();
  BOOST_CHECK(thrown);
}
