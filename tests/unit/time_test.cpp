// Time in jobs: sleep, sleep_until, yield. Timer cases run in virtual time (config()), so elapsed
// times are asserted exactly; the yield cases are about scheduling, not timers, and keep real time.
#define BOOST_TEST_MODULE time
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <atomic>
#include <vector>

namespace la = libactor;
using namespace std::chrono_literals;

namespace {
// The runtime of every timer case: virtual time, so a sleep of d takes exactly d and no real time.
la::runtime_config config() { return la::runtime_config{.virtual_time = true}; }

la::job<void> set_flag(std::atomic<bool>* flag) {
  flag->store(true);
  co_return;
}

la::job<bool> sleeps_exactly(std::chrono::milliseconds d) {
  auto start = la::clock::now();
  co_await la::sleep(d);
  co_return la::clock::now() - start == d;
}

la::job<int> counting_yields(int n) {
  int count = 0;
  for (int i = 0; i < n; ++i) {
    co_await la::yield();
    ++count;
  }
  co_return count;
}
} // namespace

LIBACTOR_TEST_CASE_WITH(sleep_waits_exactly_the_duration, config()) {
  auto start = la::clock::now();
  co_await la::sleep(20ms);
  BOOST_CHECK(la::clock::now() - start == 20ms);

  // Other duration types are rounded up to the clock's resolution, never down.
  start = la::clock::now();
  co_await la::sleep(std::chrono::duration<double, std::milli>(5.5));
  BOOST_CHECK(la::clock::now() - start == std::chrono::microseconds(5500));
}

LIBACTOR_TEST_CASE_WITH(sleep_until_waits_until_the_deadline, config()) {
  auto deadline = la::clock::now() + 20ms;
  co_await la::sleep_until(deadline);
  BOOST_CHECK(la::clock::now() == deadline);
}

LIBACTOR_TEST_CASE_WITH(zero_and_past_deadlines_resume, config()) {
  auto start = la::clock::now();
  co_await la::sleep(0ms);
  co_await la::sleep(-5ms);
  co_await la::sleep_until(la::clock::now() - 1h);
  co_await la::sleep_until(la::clock::time_point{});
  BOOST_CHECK(la::clock::now() == start);  // none of them waits (or hangs)
}

LIBACTOR_TEST_CASE_WITH(many_jobs_sleep_concurrently, config()) {
  auto start = la::clock::now();
  std::vector<la::handle<bool>> hs;
  for (int i = 0; i < 100; ++i)
    hs.push_back(la::spawn(sleeps_exactly(std::chrono::milliseconds(1 + i % 20))));
  int ok = 0;
  for (auto& h : hs)
    if (co_await h)
      ++ok;
  BOOST_CHECK_EQUAL(ok, 100);
  BOOST_CHECK(la::clock::now() - start == 20ms);  // concurrently: the longest sleep, not the sum
}

// Real time from here on: yield is about scheduling, and involves no timer.
LIBACTOR_TEST_CASE(yield_suspends_and_resumes) {
  auto h = la::spawn(counting_yields(1000));
  int body_count = 0;
  for (int i = 0; i < 1000; ++i) {
    co_await la::yield();
    ++body_count;
  }
  int child_count = co_await h;
  BOOST_CHECK_EQUAL(body_count, 1000);
  BOOST_CHECK_EQUAL(child_count, 1000);
}

// "Lets every other ready job run before this one continues": with one worker thread, a spawned
// child is ready but cannot run while the body holds the worker; one yield must let it run.
LIBACTOR_TEST_CASE_WITH(yield_lets_a_ready_job_run, (la::runtime_config{.threads = 1})) {
  co_await la::yield();  // past the body's first turn
  std::atomic<bool> ran{false};
  auto h = la::spawn(set_flag(&ran));
  BOOST_CHECK(!ran.load());
  co_await la::yield();
  BOOST_CHECK(ran.load());
  co_await h;
}

// The same as the job's very first suspension (the turn that started it).
LIBACTOR_TEST_CASE_WITH(yield_in_the_first_turn_lets_a_ready_job_run, (la::runtime_config{.threads = 1})) {
  std::atomic<bool> ran{false};
  auto h = la::spawn(set_flag(&ran));
  BOOST_CHECK(!ran.load());
  co_await la::yield();
  BOOST_CHECK(ran.load());
  co_await h;
}

// A job that only yields must not starve the others on a single worker either.
LIBACTOR_TEST_CASE_WITH(a_yielding_loop_does_not_starve_other_jobs, (la::runtime_config{.threads = 1})) {
  std::atomic<bool> ran{false};
  auto h = la::spawn(set_flag(&ran));
  int yields = 0;
  while (!ran.load() && yields < 100000) {
    co_await la::yield();
    ++yields;
  }
  BOOST_CHECK(ran.load());
  co_await h;
}

BOOST_AUTO_TEST_CASE(time_functions_outside_a_job_throw_usage_error) {
  BOOST_CHECK_THROW((void)la::sleep(1ms), la::usage_error);
  BOOST_CHECK_THROW((void)la::sleep_until(la::clock::now()), la::usage_error);
  BOOST_CHECK_THROW((void)la::yield(), la::usage_error);
}
