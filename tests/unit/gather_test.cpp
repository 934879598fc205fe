// gather: results in argument order whatever the completion order; the first failure cancels the
// siblings, waits for them and is rethrown with its type; a cancelled gatherer cancels and reaps
// every child; gather_outcomes reports each job's outcome; vectors; move-only values; no leaks.
#define BOOST_TEST_MODULE gather
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <variant>
#include <vector>
#include "../support/probes.hpp"

namespace la = libactor;
using namespace std::chrono_literals;
using la::testing::set_on_destroy;

namespace {
struct started {};

// Returns `value` only once `*flag` is set: finishes after whoever sets it.
la::job<int> int_after(std::atomic<bool>* flag, int value) {
  while (!flag->load())
    co_await la::yield();
  co_return value;
}

la::job<std::string> string_setting(std::atomic<bool>* flag, std::string value) {
  co_await la::yield();
  flag->store(true);
  co_return value;
}

la::job<void> void_job(std::atomic<int>* count) {
  co_await la::yield();
  ++*count;
}

la::job<int> fails(std::string what) {
  co_await la::yield();
  throw std::invalid_argument(what);
}

// Sleeps until cancelled; tells `body` it started; `cleaned` is set by its destructors.
la::job<int> sleeper(la::job_ref body, std::atomic<bool>* cleaned) {
  set_on_destroy guard{cleaned};
  body.send(started{});
  co_await la::sleep(1h);
  co_return 0;
}

// Sleeps until cancelled, counting itself in `running` first; `cleaned` is set by its destructors.
la::job<int> quiet_sleeper(std::atomic<bool>* cleaned, std::atomic<int>* running) {
  set_on_destroy guard{cleaned};
  running->fetch_add(1);
  co_await la::sleep(1h);
  co_return 0;
}

// Fails once `siblings` jobs are running (a job cancelled before it starts runs nothing, so the
// siblings' cleanup is only observable if they have started).
la::job<int> fails_once_running(std::string what, std::atomic<int>* running, int siblings) {
  while (running->load() < siblings)
    co_await la::yield();
  throw std::invalid_argument(what);
}

la::job<int> square(int i) {
  co_await la::yield();
  co_return i * i;
}

la::job<std::unique_ptr<int>> boxed(int v) {
  co_await la::yield();
  co_return std::make_unique<int>(v);
}

la::job<int> self_cancelled() {
  co_await la::yield();
  throw la::cancelled{};
}

la::job<void> gather_two_sleepers(la::job_ref body, std::atomic<bool>* a, std::atomic<bool>* b) {
  co_await la::gather(sleeper(body, a), sleeper(body, b));
}
} // namespace

LIBACTOR_TEST_CASE(results_come_in_argument_order) {
  auto before = la::live_job_frames();
  std::atomic<bool> flag{false};
  std::atomic<int> voids{0};
  // The first job can only finish after the second: order of results is still the arguments'.
  auto [i, s, v] = co_await la::gather(int_after(&flag, 7), string_setting(&flag, "seven"), void_job(&voids));
  BOOST_CHECK_EQUAL(i, 7);
  BOOST_CHECK_EQUAL(s, "seven");
  BOOST_CHECK(v == std::monostate{});
  BOOST_CHECK_EQUAL(voids.load(), 1);
  BOOST_CHECK_EQUAL(la::live_job_frames(), before);
}

LIBACTOR_TEST_CASE(first_failure_cancels_siblings_and_keeps_its_type) {
  auto before = la::live_job_frames();
  std::atomic<bool> a{false};
  std::atomic<bool> b{false};
  std::atomic<int> running{0};
  bool caught = false;
  std::string what;
  try {
    co_await la::gather(quiet_sleeper(&a, &running), fails_once_running("boom", &running, 2), quiet_sleeper(&b, &running));
  } catch (const std::invalid_argument& e) {
    caught = true;
    what = e.what();
  }
  BOOST_CHECK(caught);
  BOOST_CHECK_EQUAL(what, "boom");
  // The siblings were cancelled and had ended (destructors run) before gather threw.
  BOOST_CHECK(a.load());
  BOOST_CHECK(b.load());
  BOOST_CHECK_EQUAL(la::live_job_frames(), before);
}

LIBACTOR_TEST_CASE(cancelled_gatherer_cancels_and_reaps_every_child) {
  auto before = la::live_job_frames();
  std::atomic<bool> a{false};
  std::atomic<bool> b{false};
  auto gatherer = la::spawn(gather_two_sleepers(la::this_job::ref(), &a, &b));
  co_await la::receive<started>();
  co_await la::receive<started>();
  gatherer.cancel();
  bool raised = false;
  try {
    co_await gatherer;
  } catch (const la::cancelled&) {
    raised = true;
  }
  BOOST_CHECK(raised);
  BOOST_CHECK(a.load());
  BOOST_CHECK(b.load());
  BOOST_CHECK_EQUAL(la::live_job_frames(), before);
}

LIBACTOR_TEST_CASE(gathers_a_vector_in_order) {
  std::vector<la::job<int>> jobs;
  for (int i = 0; i < 200; ++i)
    jobs.push_back(square(i));
  auto results = co_await la::gather(std::move(jobs));
  BOOST_REQUIRE_EQUAL(results.size(), 200u);
  for (int i = 0; i < 200; ++i)
    BOOST_CHECK_EQUAL(results[i], i * i);

  std::atomic<int> voids{0};
  std::vector<la::job<void>> void_jobs;
  for (int i = 0; i < 10; ++i)
    void_jobs.push_back(void_job(&voids));
  auto none = co_await la::gather(std::move(void_jobs));
  BOOST_CHECK_EQUAL(none.size(), 10u);
  BOOST_CHECK_EQUAL(voids.load(), 10);

  auto empty = co_await la::gather(std::vector<la::job<int>>{});
  BOOST_CHECK(empty.empty());
}

LIBACTOR_TEST_CASE(vector_failure_cancels_the_rest) {
  std::atomic<bool> cleaned[3] = {false, false, false};
  std::atomic<int> running{0};
  std::vector<la::job<int>> jobs;
  jobs.push_back(quiet_sleeper(&cleaned[0], &running));
  jobs.push_back(quiet_sleeper(&cleaned[1], &running));
  jobs.push_back(fails_once_running("vector boom", &running, 3));
  jobs.push_back(quiet_sleeper(&cleaned[2], &running));
  bool caught = false;
  try {
    co_await la::gather(std::move(jobs));
  } catch (const std::invalid_argument& e) {
    caught = std::string(e.what()) == "vector boom";
  }
  BOOST_CHECK(caught);
  for (auto& c : cleaned)
    BOOST_CHECK(c.load());
}

LIBACTOR_TEST_CASE(move_only_results) {
  auto [p, q] = co_await la::gather(boxed(1), boxed(2));
  BOOST_REQUIRE(p && q);
  BOOST_CHECK_EQUAL(*p + *q, 3);
}

LIBACTOR_TEST_CASE(outcomes_never_throw_for_children) {
  auto before = la::live_job_frames();
  auto [ok, bad, gone] = co_await la::gather_outcomes(square(3), fails("oops"), self_cancelled());
  BOOST_CHECK(ok.has_value());
  BOOST_CHECK_EQUAL(ok.value(), 9);
  BOOST_CHECK(!ok.exception());
  BOOST_CHECK(!ok.cancelled());

  BOOST_CHECK(!bad.has_value());
  BOOST_CHECK(!bad.cancelled());
  BOOST_CHECK_THROW(bad.value(), std::invalid_argument);
  BOOST_CHECK(bad.exception() != nullptr);

  BOOST_CHECK(!gone.has_value());
  BOOST_CHECK(gone.cancelled());
  BOOST_CHECK_THROW(gone.value(), la::cancelled);

  std::vector<la::job<int>> jobs;
  jobs.push_back(square(2));
  jobs.push_back(fails("second"));
  jobs.push_back(square(4));
  auto outcomes = co_await la::gather_outcomes(std::move(jobs));
  BOOST_REQUIRE_EQUAL(outcomes.size(), 3u);
  BOOST_CHECK_EQUAL(outcomes[0].value(), 4);
  BOOST_CHECK(!outcomes[1].has_value());
  BOOST_CHECK_EQUAL(outcomes[2].value(), 16);  // a sibling's failure cancelled nothing
  BOOST_CHECK_EQUAL(la::live_job_frames(), before);
}

LIBACTOR_TEST_CASE(empty_job_is_a_usage_error) {
  la::job<int> moved = square(1);
  auto taken = std::move(moved);
  bool caught = false;
  try {
    co_await la::gather(std::move(moved), std::move(taken));
  } catch (const la::usage_error&) {
    caught = true;
  }
  BOOST_CHECK(caught);
}
