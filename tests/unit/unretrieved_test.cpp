// A spawned job that fails and whose exception nobody retrieves is logged ("exception never
// retrieved", with the job's name and the exception's text) when its last handle goes away; one
// whose exception was retrieved by awaiting it is not logged, and neither is a cancelled job.
//
// The log is captured with a sink added to spdlog's "libactor" logger (tests/support). Each case
// runs its body in a fresh runtime and inspects the log after run() has returned: by then every
// job's actor has exited, so every record whose handles were dropped has been destroyed. No sleeps:
// the body waits for the failing job by polling done() with yield().
#define BOOST_TEST_MODULE unretrieved
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <stdexcept>
#include <string>

#include "../support/log_capture.hpp"

namespace la = libactor;
using namespace std::chrono_literals;

namespace {
using la::testing::log_capture;

la::job<void> fails(const char* what) {
  co_await la::yield();
  throw std::runtime_error(what);
}

la::job<int> fails_with_int() {
  co_await la::yield();
  throw 42;
}

la::job<int> succeeds() {
  co_await la::yield();
  co_return 1;
}

la::job<void> sleeps() { co_await la::sleep(1h); }

// Waits (without sleeping) until `h` has ended.
la::job<void> until_done(la::job_ref h) {
  while (!h.done())
    co_await la::yield();
}

// Spawns a failing job, waits for its end without awaiting it, drops the handle.
la::job<void> fail_and_drop() {
  auto h = la::spawn(fails("disk on fire"), {.name = "doomed-worker"});
  co_await until_done(h);
  BOOST_CHECK(h.done());
}

// The same, with a job that throws something that is not a std::exception.
la::job<void> fail_with_int_and_drop() {
  auto h = la::spawn(fails_with_int(), {.name = "int-thrower"});
  co_await until_done(h);
}

// Awaits the failing job (retrieving its exception) while a handle is still held.
la::job<void> fail_and_await() {
  auto h = la::spawn(fails("handled failure"), {.name = "awaited-worker"});
  co_await until_done(h);  // it has failed, and nobody has retrieved the exception yet
  auto copy = h;
  bool caught = false;
  try {
    co_await copy;
  } catch (const std::runtime_error& e) {
    caught = std::string(e.what()) == "handled failure";
  }
  BOOST_CHECK(caught);
}

// A cancelled job and a successful one, neither awaited.
la::job<void> cancel_and_succeed_and_drop() {
  auto c = la::spawn(sleeps(), {.name = "cancelled-worker"});
  c.cancel();
  auto s = la::spawn(succeeds(), {.name = "successful-worker"});
  co_await until_done(c);
  co_await until_done(s);
}

// Keeps the handle of a failing job in a second job until that job ends; the log must name it.
la::job<void> holder(la::handle<void> h) {
  co_await until_done(h);
  co_await la::yield();
}

la::job<void> handle_dropped_by_another_job() {
  auto h = la::spawn(fails("passed along"), {.name = "passed-worker"});
  auto keeper = la::spawn(holder(h));
  h = la::handle<void>{};  // the body's handle is gone; the keeper's copy remains
  co_await keeper;
}
} // namespace

BOOST_AUTO_TEST_CASE(an_unretrieved_exception_is_logged_with_name_and_text) {
  log_capture log;
  la::testing::run_test(fail_and_drop());
  BOOST_CHECK_EQUAL(log.lines_with({"doomed-worker", "exception never retrieved", "disk on fire"}), 1);
}

BOOST_AUTO_TEST_CASE(a_non_std_exception_is_logged_too) {
  log_capture log;
  la::testing::run_test(fail_with_int_and_drop());
  BOOST_CHECK_EQUAL(log.lines_with({"int-thrower", "exception never retrieved"}), 1);
}

BOOST_AUTO_TEST_CASE(a_retrieved_exception_is_not_logged) {
  log_capture log;
  la::testing::run_test(fail_and_await());
  BOOST_CHECK_EQUAL(log.lines_with({"exception never retrieved"}), 0);
  BOOST_CHECK_EQUAL(log.lines_with({"awaited-worker"}), 0);
}

BOOST_AUTO_TEST_CASE(cancelled_and_successful_jobs_are_not_logged) {
  log_capture log;
  la::testing::run_test(cancel_and_succeed_and_drop());
  BOOST_CHECK_EQUAL(log.lines_with({"exception never retrieved"}), 0);
}

BOOST_AUTO_TEST_CASE(the_last_handle_may_be_dropped_by_another_job) {
  log_capture log;
  la::testing::run_test(handle_dropped_by_another_job());
  BOOST_CHECK_EQUAL(log.lines_with({"passed-worker", "exception never retrieved", "passed along"}), 1);
}

// The log line appears while the runtime still runs, once the last reference is gone: poll for it
// with yield (bounded by the job's actor exiting, not by a clock).
BOOST_AUTO_TEST_CASE(the_log_line_appears_while_the_runtime_runs) {
  log_capture log;
  bool seen = false;
  la::testing::run_test([](log_capture& l, bool& out) -> la::job<void> {
    {
      auto h = la::spawn(fails("seen at runtime"), {.name = "runtime-worker"});
      co_await until_done(h);
    }
    // The record is freed when the job's actor has exited too; that follows its end promptly.
    for (int i = 0; i < 1000000 && !out; ++i) {
      out = l.lines_with({"runtime-worker", "exception never retrieved", "seen at runtime"}) == 1;
      if (!out)
        co_await la::yield();
    }
  }(log, seen));
  BOOST_CHECK(seen);
}
