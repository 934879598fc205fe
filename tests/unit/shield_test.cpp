// shield: the shielded work completes although the job is cancelled, or an enclosing deadline
// passes, meanwhile; the next suspension point after the shield raises `cancelled`
// (level-triggered); shields nest; scopes opened inside a shield still cut; the body's exceptions
// pass through; no frame leaks.
#define BOOST_TEST_MODULE shield
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <atomic>
#include <optional>
#include <stdexcept>
#include "../support/probes.hpp"

namespace la = libactor;
using namespace std::chrono_literals;
using la::testing::set_on_destroy;
using la::testing::is_cancelled;

namespace {
// The runtime every case runs in: virtual time, so deadlines are exact and cost no real time.
la::runtime_config config() { return la::runtime_config{.virtual_time = true}; }

struct started {};
struct go {};

// What a job observed; owned by the test body, which awaits the job.
struct probe {
  std::atomic<bool> work_done{false};
  std::atomic<int> shield_result{0};
  std::atomic<bool> outer_continued{false};
  std::atomic<bool> cancelled_after{false};
  std::atomic<bool> passed_after{false};
  std::atomic<bool> raised_after{false};
  std::atomic<bool> inner_cut{false};
  std::atomic<bool> cleaned{false};
};

// The shielded work: tells the body it is inside, waits for `go` (sent after the cancellation),
// then suspends twice more and returns 42.
la::job<int> shielded_work(la::job_ref body, probe* p) {
  body.send(started{});
  co_await la::receive<go>();
  co_await la::sleep(1ms);
  co_await la::yield();
  p->work_done = true;
  co_return 42;
}

// After the shield: records whether the job is cancelled and whether the next suspension raised.
la::job<void> after_shield(probe* p, int v) {
  p->shield_result = v;
  p->cancelled_after = la::this_job::cancelled();
  try {
    co_await la::yield();
    p->passed_after = true;
  } catch (const la::cancelled&) {
    p->raised_after = true;
    throw;
  }
}

la::job<void> shields_work(la::job_ref body, probe* p) {
  int v = co_await la::shield(shielded_work(body, p));
  co_await after_shield(p, v);
}

// A shield inside a shield: back in the outer one, suspension points still do not raise.
la::job<int> outer_shielded(la::job_ref body, probe* p) {
  int v = co_await la::shield(shielded_work(body, p));
  co_await la::yield();
  co_await la::sleep(1ms);
  p->outer_continued = true;
  co_return v + 1;
}

la::job<void> shields_twice(la::job_ref body, probe* p) {
  int v = co_await la::shield(outer_shielded(body, p));
  co_await after_shield(p, v);
}

la::job<int> sleeps_forever(std::atomic<bool>* cleaned) {
  set_on_destroy guard{cleaned};
  co_await la::sleep(1h);
  co_return -1;
}

// Inside a shield, a scope whose deadline has passed cuts its body and owns that cancellation,
// although the job itself was cancelled meanwhile.
la::job<int> cut_inside(la::job_ref body, probe* p) {
  body.send(started{});
  co_await la::receive<go>();
  auto r = co_await la::move_on_at(la::clock::now() - 1s, sleeps_forever(&p->cleaned));
  p->inner_cut = !r.has_value();
  co_return 7;
}

la::job<void> shields_a_scope(la::job_ref body, probe* p) {
  int v = co_await la::shield(cut_inside(body, p));
  co_await after_shield(p, v);
}

la::job<int> suspends_then(int v) {
  co_await la::yield();
  co_await la::sleep(1ms);
  co_return v;
}

// Cancelled before the shield opens: the shield protects its body all the same.
la::job<void> cancels_itself_then_shields(probe* p) {
  la::this_job::ref().cancel();
  int v = co_await la::shield(suspends_then(5));
  co_await after_shield(p, v);
}

la::job<int> sleeps_until_then(la::clock::time_point t, int v, probe* p) {
  co_await la::sleep_until(t);
  p->work_done = true;
  co_return v;
}

// In a scope with deadline `d`: shielded work that outlasts it, then one more suspension point.
la::job<int> outlasts_the_deadline(la::clock::time_point d, probe* p) {
  int v = co_await la::shield(sleeps_until_then(d + 5ms, 42, p));
  p->shield_result = v;
  co_await la::yield();
  p->passed_after = true;
  co_return v;
}

la::job<la::clock::time_point> deadline_here() { co_return la::current_deadline(); }

la::job<int> throws_after_suspending(la::job_ref body) {
  if (body.valid()) {
    body.send(started{});
    co_await la::receive<go>();
  } else {
    co_await la::yield();
  }
  throw std::logic_error("from the shielded body");
}

la::job<void> shields_a_throwing_body(la::job_ref body) {
  co_await la::shield(throws_after_suspending(body));
}

} // namespace

LIBACTOR_TEST_CASE_WITH(shielded_work_completes_although_the_job_is_cancelled, config()) {
  probe p;
  auto h = la::spawn(shields_work(la::this_job::ref(), &p), {.name = "shielding"});
  co_await la::receive<started>();  // the job is inside the shield
  h.cancel();
  h.send(go{});  // after the cancellation: the shielded receive gets it all the same
  bool raised = co_await is_cancelled(h);
  BOOST_CHECK(raised);
  BOOST_CHECK(p.work_done);
  BOOST_CHECK_EQUAL(p.shield_result.load(), 42);
  BOOST_CHECK(p.cancelled_after);  // the cancellation was kept, not dropped
  BOOST_CHECK(p.raised_after);     // and the first suspension point after the shield raised it
  BOOST_CHECK(!p.passed_after);
}

LIBACTOR_TEST_CASE_WITH(a_shield_protects_from_an_earlier_cancellation, config()) {
  probe p;
  auto h = la::spawn(cancels_itself_then_shields(&p), {.name = "self-cancelled"});
  bool raised = co_await is_cancelled(h);
  BOOST_CHECK(raised);
  BOOST_CHECK_EQUAL(p.shield_result.load(), 5);
  BOOST_CHECK(p.raised_after);
  BOOST_CHECK(!p.passed_after);
}

LIBACTOR_TEST_CASE_WITH(shielded_work_completes_although_the_deadline_passes, config()) {
  probe p;
  auto deadline = la::clock::now() + 10ms;
  auto r = co_await la::move_on_at(deadline, outlasts_the_deadline(deadline, &p));
  BOOST_CHECK(!r.has_value());  // cut at the first suspension point after the shield
  BOOST_CHECK(p.work_done);
  BOOST_CHECK_EQUAL(p.shield_result.load(), 42);
  BOOST_CHECK(!p.passed_after);
  BOOST_CHECK(la::clock::now() >= deadline + 5ms);

  probe f;
  auto fail_deadline = la::clock::now() + 10ms;
  BOOST_CHECK_THROW(co_await la::fail_at(fail_deadline, outlasts_the_deadline(fail_deadline, &f)),
                    la::timeout_error);
  BOOST_CHECK(f.work_done);
  BOOST_CHECK(!f.passed_after);

  // Inside a shield no enclosing deadline applies.
  auto seen = co_await la::move_on_after(1h, la::shield(deadline_here()));
  BOOST_CHECK(seen == std::optional(la::clock::time_point::max()));
}

LIBACTOR_TEST_CASE_WITH(a_shield_inside_a_shield, config()) {
  probe p;
  auto h = la::spawn(shields_twice(la::this_job::ref(), &p), {.name = "twice"});
  co_await la::receive<started>();  // inside the inner shield
  h.cancel();
  h.send(go{});
  bool raised = co_await is_cancelled(h);
  BOOST_CHECK(raised);
  BOOST_CHECK(p.work_done);
  BOOST_CHECK(p.outer_continued);  // leaving the inner shield did not expose the outer one
  BOOST_CHECK_EQUAL(p.shield_result.load(), 43);
  BOOST_CHECK(p.raised_after);
  BOOST_CHECK(!p.passed_after);
}

LIBACTOR_TEST_CASE_WITH(a_scope_inside_a_shield_still_cuts, config()) {
  std::atomic<bool> cleaned{false};
  auto r = co_await la::shield(la::move_on_after(20ms, sleeps_forever(&cleaned)));
  BOOST_CHECK(!r.has_value());
  BOOST_CHECK(cleaned);

  // The job is cancelled meanwhile: the inner scope still owns its own deadline's cancellation.
  probe p;
  auto h = la::spawn(shields_a_scope(la::this_job::ref(), &p), {.name = "scope-in-shield"});
  co_await la::receive<started>();
  h.cancel();
  h.send(go{});
  bool raised = co_await is_cancelled(h);
  BOOST_CHECK(raised);
  BOOST_CHECK(p.inner_cut);
  BOOST_CHECK(p.cleaned);
  BOOST_CHECK_EQUAL(p.shield_result.load(), 7);
  BOOST_CHECK(p.raised_after);
}

LIBACTOR_TEST_CASE_WITH(a_shield_does_not_swallow_the_body_exceptions, config()) {
  BOOST_CHECK_THROW(co_await la::shield(throws_after_suspending(la::job_ref{})), std::logic_error);

  // Thrown while the job is cancelled: the body's own exception ends the job, not `cancelled`.
  auto h = la::spawn(shields_a_throwing_body(la::this_job::ref()), {.name = "throwing"});
  co_await la::receive<started>();
  h.cancel();
  h.send(go{});
  BOOST_CHECK_THROW(co_await h, std::logic_error);
}

LIBACTOR_TEST_CASE_WITH(shields_leak_no_frames, config()) {
  auto frames = la::live_job_frames();
  for (int round = 0; round < 3; ++round) {
    probe p;
    auto h = la::spawn(shields_twice(la::this_job::ref(), &p));
    co_await la::receive<started>();
    h.cancel();
    h.send(go{});
    co_await is_cancelled(h);

    probe d;
    auto deadline = la::clock::now() + 1ms;
    co_await la::move_on_at(deadline, outlasts_the_deadline(deadline, &d));

    std::atomic<bool> cleaned{false};
    co_await la::shield(la::move_on_after(1ms, sleeps_forever(&cleaned)));

    try {
      co_await la::shield(throws_after_suspending(la::job_ref{}));
    } catch (const std::logic_error&) {
    }
  }
  BOOST_CHECK_EQUAL(la::live_job_frames(), frames);
}
