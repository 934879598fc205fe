// Virtual time (runtime_config::virtual_time): the clock stands still while any job runs and jumps
// to the next deadline once every job is idle — exact, and as fast as the jobs themselves.
#define BOOST_TEST_MODULE virtual_time
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <chrono>
#include <vector>

namespace la = libactor;
using namespace std::chrono_literals;

namespace {
constexpr la::runtime_config virtual_clock{.virtual_time = true};

struct never {};
struct woke {
  int who;
};

la::job<void> sleeper(la::job_ref report, int who, la::clock::duration d) {
  co_await la::sleep(d);
  report.send(woke{who});
}

la::job<void> spinner(int turns, bool* finished) {
  for (int i = 0; i < turns; ++i)
    co_await la::yield();
  *finished = true;
}
} // namespace

LIBACTOR_TEST_CASE_WITH(hours_pass_in_a_moment, virtual_clock) {
  // Without virtual time this test would take five hours (and hit ctest's timeout).
  auto real_start = std::chrono::steady_clock::now();
  auto start = la::clock::now();
  co_await la::sleep(5h);
  BOOST_CHECK(la::clock::now() - start == 5h);  // exactly: the clock jumped to the deadline
  BOOST_TEST_MESSAGE("5 h of virtual time took "
                     << std::chrono::duration<double>(std::chrono::steady_clock::now() - real_start).count()
                     << " s of real time");
}

LIBACTOR_TEST_CASE_WITH(timeouts_are_exact, virtual_clock) {
  auto start = la::clock::now();
  BOOST_CHECK_THROW(co_await la::receive<never>(90min), la::timeout_error);
  BOOST_CHECK(la::clock::now() - start == 90min);
  auto cut = co_await la::move_on_after(1h, la::sleep(2h));
  BOOST_CHECK(!cut);
  BOOST_CHECK(la::clock::now() - start == 150min);
  BOOST_CHECK(la::clock::now() - start < 150min + 1ns);
}

LIBACTOR_TEST_CASE_WITH(sleepers_wake_in_deadline_order, virtual_clock) {
  auto me = la::this_job::ref();
  std::vector<la::handle<void>> jobs;
  for (int who : {3, 1, 4, 2})
    jobs.push_back(la::spawn(sleeper(me, who, who * 1s)));
  std::vector<int> order;
  for (int i = 0; i < 4; ++i)
    order.push_back((co_await la::receive<woke>()).value().who);
  BOOST_CHECK((order == std::vector<int>{1, 2, 3, 4}));
  for (auto& j : jobs)
    co_await j;
}

LIBACTOR_TEST_CASE_WITH(the_clock_stands_still_while_a_job_runs, (la::runtime_config{.threads = 2, .virtual_time = true})) {
  bool finished = false;
  auto start = la::clock::now();
  auto busy = la::spawn(spinner(10'000, &finished));
  co_await la::sleep(1ms);
  // The sleep could only end once the spinner — never idle — had finished all its turns.
  BOOST_CHECK(finished);
  BOOST_CHECK(la::clock::now() - start == 1ms);
  co_await busy;
}

namespace {
la::job<void> answer_at_once(la::job_ref to) {
  to.send(woke{1});
  co_return;
}
} // namespace

// A wait that ended before its timeout cancels the timeout's timer: a job that waits with a long
// timeout many times a second (an HTTP read timeout) would otherwise pile up entries until their
// deadlines, and under virtual time every idle moment would jump the clock to such a stale one.
LIBACTOR_TEST_CASE_WITH(a_wait_that_ends_early_leaves_no_timer_behind, virtual_clock) {
  auto start = la::clock::now();
  auto h = la::spawn(answer_at_once(la::this_job::ref()));
  auto m = co_await la::receive<woke>(2h);  // answered long before its timeout
  BOOST_CHECK_EQUAL(m.value().who, 1);
  co_await h;
  BOOST_CHECK_EQUAL(la::pending_timers(), 0u);
  auto cut = co_await la::move_on_after(1h, la::receive<woke>(3h));  // the scope's hour passes
  BOOST_CHECK(!cut);
  BOOST_CHECK_EQUAL(la::pending_timers(), 0u);
  BOOST_CHECK(la::clock::now() - start == 1h);
}
