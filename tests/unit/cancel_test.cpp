// Cancellation: before start (the job runs nothing), while sleeping / receiving / asking / awaiting
// a child; level-triggered (every later suspension point raises again); cleanup code runs; a
// cancelled parent cancels the child it awaits and raises only after the child has ended.
//
// Cases whose jobs wait in sleep / receive with a timeout / ask run in virtual time (config()): there
// "cancelled while sleeping 1 h" is checked exactly — the clock has not moved, so the cancellation,
// not a timer, ended every wait.
#define BOOST_TEST_MODULE cancel
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>
#include "../support/probes.hpp"

namespace la = libactor;
using namespace std::chrono_literals;
using la::testing::set_on_destroy;
using la::testing::is_cancelled;

namespace {
// The runtime of every case with a timed wait: virtual time.
la::runtime_config config() { return la::runtime_config{.virtual_time = true}; }

struct started {};
struct never {};
struct req {};
struct ping {};

// What a cancelled job observed; owned by the test body, which outlives the job (it awaits it).
struct probe {
  std::atomic<bool> ran{false};
  std::atomic<bool> passed_wait{false};
  std::atomic<bool> raii_cleaned{false};
  std::atomic<bool> catch_ran{false};
  std::atomic<bool> flag_seen{false};
};

la::job<void> mark_ran(probe* p) {
  p->ran = true;
  co_return;
}

enum class wait_in { sleep, receive, receive_with_timeout, ask, yield_loop };

// Tells `body` it started, then waits in `how` until cancelled.
la::job<void> cancellable(la::job_ref body, wait_in how, probe* p, la::job_ref ask_target) {
  p->ran = true;
  set_on_destroy guard{&p->raii_cleaned};
  try {
    body.send(started{});
    switch (how) {
      case wait_in::sleep:
        co_await la::sleep(1h);
        break;
      case wait_in::receive:
        co_await la::receive<never>();
        break;
      case wait_in::receive_with_timeout:
        co_await la::receive<never>(1h);
        break;
      case wait_in::ask:
        co_await ask_target.ask<int>(req{}, 1h);
        break;
      case wait_in::yield_loop:
        for (;;)
          co_await la::yield();
    }
    p->passed_wait = true;
  } catch (const la::cancelled&) {
    p->catch_ran = true;
    p->flag_seen = la::this_job::cancelled();
    throw;
  }
}

// Holds every request it receives without ever replying.
la::job<void> silent_server() {
  std::vector<la::message<req>> held;
  for (;;)
    held.push_back(co_await la::receive<req>());
}

// Catches `cancelled` at a sleep and then tries every kind of suspension point; counts how many
// raised `cancelled` again. Returns the count (it swallows all of them).
la::job<int> level_triggered(la::job_ref body, la::job_ref ask_target) {
  int raised = 0;
  body.send(started{});
  try {
    co_await la::sleep(1h);
  } catch (const la::cancelled&) {
    ++raised;
  }
  try {
    co_await la::sleep(1ms);
  } catch (const la::cancelled&) {
    ++raised;
  }
  try {
    co_await la::yield();
  } catch (const la::cancelled&) {
    ++raised;
  }
  try {
    co_await la::sleep_until(la::clock::now() - 1s);
  } catch (const la::cancelled&) {
    ++raised;
  }
  // A matching message is already in the mailbox; receive still raises.
  la::this_job::ref().send(ping{});
  try {
    co_await la::receive<ping>();
  } catch (const la::cancelled&) {
    ++raised;
  }
  try {
    co_await la::receive<ping>(1h);
  } catch (const la::cancelled&) {
    ++raised;
  }
  try {
    co_await ask_target.ask<int>(req{}, 1h);
  } catch (const la::cancelled&) {
    ++raised;
  }
  if (la::this_job::cancelled())
    ++raised;
  co_return raised;  // 8 when every point raised
}

// A generic handler for std::exception must not swallow a cancellation.
la::job<void> catches_std_exception(la::job_ref body, probe* p) {
  body.send(started{});
  try {
    co_await la::sleep(1h);
  } catch (const std::exception&) {
    p->passed_wait = true;  // must not happen: cancelled is not a std::exception
  }
  p->ran = true;  // not reached either: cancelled propagates
}

la::job<void> inner_with_guard(probe* p) {
  set_on_destroy guard{&p->raii_cleaned};
  co_await la::sleep(1h);
  p->passed_wait = true;
}

la::job<void> outer_with_catch(la::job_ref body, probe* p) {
  body.send(started{});
  try {
    co_await inner_with_guard(p);
  } catch (const la::cancelled&) {
    // The inner frame's destructors have run by now.
    p->flag_seen = p->raii_cleaned.load();
    p->catch_ran = true;
    throw;
  }
}

// The child of a parent: sleeps until cancelled; its cleanup sets child_cleaned.
struct family {
  std::atomic<bool> child_started{false};
  std::atomic<bool> child_cleaned{false};
  std::atomic<bool> child_done_at_parent_raise{false};
  std::atomic<bool> child_cleaned_at_parent_raise{false};
  std::atomic<bool> parent_raised{false};
  std::atomic<bool> parent_passed{false};
};

la::job<int> sleeping_child(la::job_ref body, family* f) {
  set_on_destroy guard{&f->child_cleaned};
  f->child_started = true;
  if (body.valid())
    body.send(started{});
  co_await la::sleep(1h);
  co_return 1;
}

// A child that catches the cancellation, cleans up in its catch block and returns normally: the
// parent, being cancelled itself, still raises `cancelled`, after the child's end.
la::job<int> swallowing_child(la::job_ref body, family* f) {
  f->child_started = true;
  body.send(started{});
  try {
    co_await la::sleep(1h);
  } catch (const la::cancelled&) {
    f->child_cleaned = true;
    co_return 2;
  }
  co_return 1;
}

la::job<void> awaiting_parent(la::job_ref body, family* f, bool swallowing) {
  la::handle<int> child;
  if (swallowing)
    child = la::spawn(swallowing_child(body, f), {.name = "child"});
  else
    child = la::spawn(sleeping_child(body, f), {.name = "child"});
  try {
    co_await child;
    f->parent_passed = true;
  } catch (const la::cancelled&) {
    f->child_done_at_parent_raise = child.done();
    f->child_cleaned_at_parent_raise = f->child_cleaned.load();
    f->parent_raised = true;
    throw;
  }
}

// A parent that was cancelled before it awaits: awaiting a child cancels the child as well.
la::job<int> cancelled_then_awaits(la::job_ref body, family* f) {
  body.send(started{});
  bool was_cancelled = false;
  try {
    co_await la::sleep(1h);
  } catch (const la::cancelled&) {
    was_cancelled = true;
  }
  if (!was_cancelled)
    co_return -1;
  auto child = la::spawn(sleeping_child(la::job_ref{}, f));
  try {
    co_await child;
  } catch (const la::cancelled&) {
    f->child_done_at_parent_raise = child.done();
    // The child may have been cancelled before it started (then it ran nothing at all).
    f->child_cleaned_at_parent_raise = f->child_cleaned.load() == f->child_started.load();
    f->parent_raised = true;
    throw;
  }
  co_return 0;
}

la::job<int> twenty() { co_return 20; }

} // namespace

LIBACTOR_TEST_CASE_WITH(cancel_before_start_runs_nothing, (la::runtime_config{.threads = 1})) {
  probe p;
  auto h = la::spawn(mark_ran(&p), {.name = "never-started"});
  h.cancel();  // the only worker runs the body: the child cannot have started yet
  bool raised = co_await is_cancelled(h);
  BOOST_CHECK(raised);
  BOOST_CHECK(!p.ran);
  BOOST_CHECK(h.done());
  // Awaiting it again raises again.
  bool raised_again = co_await is_cancelled(h);
  BOOST_CHECK(raised_again);
}

constexpr wait_in all_waits[] = {wait_in::sleep, wait_in::receive, wait_in::receive_with_timeout,
                                wait_in::ask, wait_in::yield_loop};

LIBACTOR_TEST_CASE_WITH(cancel_while_waiting, config()) {
  auto start = la::clock::now();
  auto server = la::spawn(silent_server(), {.name = "silent"});
  for (std::size_t i = 0; i < std::size(all_waits); ++i) {
    auto how = all_waits[i];
    probe p;
    auto h = la::spawn(cancellable(la::this_job::ref(), how, &p, server));
    co_await la::receive<started>();
    h.cancel();
    bool raised = co_await is_cancelled(h);
    BOOST_CHECK_MESSAGE(raised, "wait kind " << i);
    BOOST_CHECK_MESSAGE(p.ran, "wait kind " << i);
    BOOST_CHECK_MESSAGE(!p.passed_wait, "wait kind " << i);
    BOOST_CHECK_MESSAGE(p.catch_ran, "wait kind " << i);
    BOOST_CHECK_MESSAGE(p.flag_seen, "wait kind " << i);
    BOOST_CHECK_MESSAGE(p.raii_cleaned, "wait kind " << i);
  }
  server.cancel();
  bool server_cancelled = co_await is_cancelled(server);
  BOOST_CHECK(server_cancelled);
  BOOST_CHECK(la::clock::now() == start);  // no wait ended by its timer
}

LIBACTOR_TEST_CASE_WITH(cancellation_is_level_triggered, config()) {
  auto start = la::clock::now();
  auto server = la::spawn(silent_server());
  auto h = la::spawn(level_triggered(la::this_job::ref(), server));
  co_await la::receive<started>();
  h.cancel();
  h.cancel();  // idempotent
  int raised = co_await h;  // it swallowed every cancellation and returned normally
  BOOST_CHECK_EQUAL(raised, 8);
  BOOST_CHECK(la::clock::now() == start);  // every timed wait raised at once
  server.cancel();
  co_await is_cancelled(server);
}

LIBACTOR_TEST_CASE_WITH(cancelled_is_not_a_std_exception, config()) {
  auto start = la::clock::now();
  probe p;
  auto h = la::spawn(catches_std_exception(la::this_job::ref(), &p));
  co_await la::receive<started>();
  h.cancel();
  bool raised = co_await is_cancelled(h);
  BOOST_CHECK(raised);
  BOOST_CHECK(!p.passed_wait);
  BOOST_CHECK(!p.ran);
  BOOST_CHECK(la::clock::now() == start);
}

LIBACTOR_TEST_CASE_WITH(cleanup_runs_through_inline_awaits, config()) {
  auto start = la::clock::now();
  probe p;
  auto h = la::spawn(outer_with_catch(la::this_job::ref(), &p));
  co_await la::receive<started>();
  h.cancel();
  bool raised = co_await is_cancelled(h);
  BOOST_CHECK(raised);
  BOOST_CHECK(!p.passed_wait);
  BOOST_CHECK(p.raii_cleaned);
  BOOST_CHECK(p.catch_ran);
  BOOST_CHECK(p.flag_seen);  // the inner guard ran before the outer catch block
  BOOST_CHECK(la::clock::now() == start);
}

LIBACTOR_TEST_CASE_WITH(cancelling_a_parent_cancels_the_child_it_awaits, config()) {
  auto start = la::clock::now();
  for (int round = 0; round < 2; ++round) {
    bool swallowing = round == 1;
    family f;
    auto parent = la::spawn(awaiting_parent(la::this_job::ref(), &f, swallowing), {.name = "parent"});
    co_await la::receive<started>();  // from the child: the parent awaits it or is about to
    parent.cancel();
    bool raised = co_await is_cancelled(parent);
    BOOST_CHECK_MESSAGE(raised, "swallowing " << swallowing);
    BOOST_CHECK_MESSAGE(f.child_started, "swallowing " << swallowing);
    BOOST_CHECK_MESSAGE(f.parent_raised, "swallowing " << swallowing);
    BOOST_CHECK_MESSAGE(!f.parent_passed, "swallowing " << swallowing);
    // The parent raised only after the child had ended and cleaned up.
    BOOST_CHECK_MESSAGE(f.child_done_at_parent_raise, "swallowing " << swallowing);
    BOOST_CHECK_MESSAGE(f.child_cleaned_at_parent_raise, "swallowing " << swallowing);
  }
  BOOST_CHECK(la::clock::now() == start);
}

LIBACTOR_TEST_CASE_WITH(a_cancelled_job_that_awaits_a_child_cancels_it, config()) {
  auto start = la::clock::now();
  family f;
  auto parent = la::spawn(cancelled_then_awaits(la::this_job::ref(), &f));
  co_await la::receive<started>();
  parent.cancel();
  bool raised = co_await is_cancelled(parent);
  BOOST_CHECK(raised);
  BOOST_CHECK(f.parent_raised);
  BOOST_CHECK(f.child_done_at_parent_raise);
  BOOST_CHECK(f.child_cleaned_at_parent_raise);
  BOOST_CHECK(la::clock::now() == start);
}

LIBACTOR_TEST_CASE(cancelling_a_finished_job_changes_nothing) {
  auto h = la::spawn(twenty());
  int v = co_await h;
  h.cancel();
  int again = co_await h;
  BOOST_CHECK_EQUAL(v, 20);
  BOOST_CHECK_EQUAL(again, 20);
}

LIBACTOR_TEST_CASE_WITH(cancel_from_a_foreign_thread, config()) {
  auto start = la::clock::now();
  probe p;
  auto h = la::spawn(cancellable(la::this_job::ref(), wait_in::sleep, &p, la::job_ref{}));
  co_await la::receive<started>();
  std::thread t([h] { h.cancel(); });
  t.join();
  bool raised = co_await is_cancelled(h);
  BOOST_CHECK(raised);
  BOOST_CHECK(p.raii_cleaned);
  BOOST_CHECK(la::clock::now() == start);
}

LIBACTOR_TEST_CASE_WITH(cancelling_a_child_does_not_cancel_the_awaiter, config()) {
  auto start = la::clock::now();
  probe p;
  auto h = la::spawn(cancellable(la::this_job::ref(), wait_in::sleep, &p, la::job_ref{}));
  co_await la::receive<started>();
  h.cancel();
  bool raised = co_await is_cancelled(h);
  BOOST_CHECK(raised);
  BOOST_CHECK(!la::this_job::cancelled());
  BOOST_CHECK(la::clock::now() == start);
  co_await la::yield();  // the body still suspends and resumes normally
  co_await la::sleep(1ms);
  BOOST_CHECK(!la::this_job::cancelled());
  BOOST_CHECK(la::clock::now() - start == 1ms);
}

namespace {
std::atomic<bool> reaped_guard{false};
std::atomic<bool> reaped_catch{false};

la::job<void> sleeps_until_reaped(la::job_ref body) {
  set_on_destroy guard{&reaped_guard};
  body.send(started{});
  try {
    co_await la::sleep(1h);
  } catch (const la::cancelled&) {
    reaped_catch = true;  // cancelled, not killed: a kill runs no catch block
    throw;
  }
}

// Leaves a job running (it has started: a job cancelled before it starts runs nothing).
la::job<void> spawns_and_leaves() {
  la::spawn(sleeps_until_reaped(la::this_job::ref()), {.name = "left-running"});
  co_await la::receive<started>();
}
} // namespace

// Real time: this is run()'s shutdown, whose grace period is real time by design.
BOOST_AUTO_TEST_CASE(run_cancels_jobs_left_running_when_main_ends) {
  reaped_guard = false;
  reaped_catch = false;
  auto before = la::live_job_frames();
  la::testing::run_test(spawns_and_leaves());
  BOOST_CHECK(reaped_catch);
  BOOST_CHECK(reaped_guard);
  BOOST_CHECK_EQUAL(la::live_job_frames(), before);
}
