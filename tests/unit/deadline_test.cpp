// Deadline scopes: move_on_after / move_on_at (an empty result), fail_after / fail_at / wait_for
// (timeout_error); what a deadline reaches (sleep, receive, ask, a child being awaited, jobs awaited
// inline); nesting (the nearest deadline wins, an inner scope never swallows an outer cancellation);
// current_deadline; a cancellation of the job itself is never swallowed by a scope; level-triggered
// inside an expired scope; a result produced in time is returned, never lost.
//
// "Finishes first" cases give a 1 h deadline to bodies that only yield; "cut" cases sleep 1 h inside a
// 10-20 ms scope. Only lower bounds on elapsed time are asserted.
#define BOOST_TEST_MODULE deadline
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <atomic>
#include <optional>
#include <vector>
#include "../support/probes.hpp"

namespace la = libactor;
using namespace std::chrono_literals;
using la::testing::set_on_destroy;
using la::testing::is_cancelled;

namespace {
// The runtime every case runs in: virtual time, so deadlines are exact and cost no real time.
la::runtime_config config() { return la::runtime_config{.virtual_time = true}; }

// One worker, one FIFO run queue: who runs next is determined by who became ready first. Real time:
// these cases keep the worker busy past a deadline, which a virtual clock (standing still while a job
// runs) cannot express.
la::runtime_config one_worker() {
  la::runtime_config c;
  c.threads = 1;
  c.policy = la::scheduler_policy::work_sharing;
  return c;
}

struct started {};
struct never {};
struct req {};
struct item {
  int v;
};

la::job<int> yields_then(int v) {
  co_await la::yield();
  co_return v;
}

la::job<void> yields_only() { co_await la::yield(); }

la::job<int> returns_at_once(int v) { co_return v; }

la::job<int> sleeps_forever(std::atomic<bool>* cleaned) {
  set_on_destroy guard{cleaned};
  co_await la::sleep(1h);
  co_return -1;
}

la::job<void> sleeps_forever_void(std::atomic<bool>* cleaned) {
  set_on_destroy guard{cleaned};
  co_await la::sleep(1h);
}

// Two inline levels, each with its own cleanup: the deadline reaches the innermost suspension point.
la::job<int> sleeps_two_levels_down(std::atomic<bool>* inner_cleaned, std::atomic<bool>* outer_cleaned) {
  set_on_destroy guard{outer_cleaned};
  int v = co_await sleeps_forever(inner_cleaned);
  co_return v;
}

la::job<int> receive_item() {
  auto m = co_await la::receive<item>();
  co_return m.value().v;
}

la::job<int> receive_never_with_timeout(std::chrono::milliseconds timeout) {
  co_await la::receive<never>(timeout);
  co_return -1;
}

la::job<int> ask_int(la::job_ref target) {
  int v = co_await target.ask<int>(req{}, 1h);
  co_return v;
}

// Holds every request it receives without ever replying.
la::job<void> silent_server() {
  std::vector<la::message<req>> held;
  for (;;)
    held.push_back(co_await la::receive<req>());
}

template <class T>
la::job<T> await_handle(la::handle<T> h) {
  T v = co_await h;
  co_return v;
}

la::job<la::clock::time_point> deadline_here() { co_return la::current_deadline(); }

// current_deadline inside a scope nested in the caller's scope.
la::job<la::clock::time_point> deadline_in_nested_scope(la::clock::time_point inner) {
  auto d = co_await la::move_on_at(inner, deadline_here());
  co_return d.value();
}

// An inner scope inside an outer one; records what the inner scope yielded and whether the code
// after it ran.
struct nesting {
  bool inner_returned = false;
  bool inner_empty = false;
  bool after_inner = false;
  std::atomic<bool> cleaned{false};
};

la::job<int> inner_scope(std::chrono::milliseconds inner_timeout, nesting* n) {
  auto r = co_await la::move_on_after(inner_timeout, sleeps_forever(&n->cleaned));
  n->inner_returned = true;
  n->inner_empty = !r.has_value();
  co_await la::yield();
  n->after_inner = true;
  co_return 5;
}

// A job whose body opens a 1 h scope and sleeps in it; the test body cancels the job.
struct scoped_probe {
  std::atomic<bool> scope_returned{false};
  std::atomic<bool> cleaned{false};
};

la::job<void> announce_then_sleep(la::job_ref body, std::atomic<bool>* cleaned) {
  set_on_destroy guard{cleaned};
  body.send(started{});
  co_await la::sleep(1h);
}

la::job<void> sleeps_in_scope(la::job_ref body, scoped_probe* p) {
  co_await la::move_on_after(1h, announce_then_sleep(body, &p->cleaned));
  p->scope_returned = true;  // must not happen: the scope does not own the job's cancellation
}

la::job<void> cancels_itself_in_scope(scoped_probe* p) {
  la::this_job::ref().cancel();
  co_await la::move_on_after(1h, yields_only());
  p->scope_returned = true;
}

// Same, with a scope whose deadline has passed as well: still the job's cancellation wins.
la::job<void> cancels_itself_in_expired_scope(scoped_probe* p) {
  la::this_job::ref().cancel();
  co_await la::move_on_at(la::clock::now() - 1s, sleeps_forever_void(&p->cleaned));
  p->scope_returned = true;
}

// Swallows the cancellation at several kinds of suspension point; counts how often it was raised.
la::job<int> keeps_suspending(int* raised) {
  try {
    co_await la::sleep(1h);
  } catch (const la::cancelled&) {
    ++*raised;
  }
  try {
    co_await la::yield();
  } catch (const la::cancelled&) {
    ++*raised;
  }
  try {
    co_await la::sleep(1ms);
  } catch (const la::cancelled&) {
    ++*raised;
  }
  try {
    co_await la::receive<never>();
  } catch (const la::cancelled&) {
    ++*raised;
  }
  try {
    co_await la::receive<item>(1h);
  } catch (const la::cancelled&) {
    ++*raised;
  }
  try {
    co_await la::sleep_until(la::clock::now() - 1s);
  } catch (const la::cancelled&) {
    ++*raised;
  }
  co_return *raised;
}

// Inside an expired scope: the item is in the mailbox when receive is cut.
la::job<int> sends_itself_then_receives() {
  la::this_job::ref().send(item{1});
  int v = co_await receive_item();
  co_return v;
}

// CPU-bound work on the only worker: holds it until `until` has passed, without suspending.
void hold_the_worker_until(la::clock::time_point until) {
  while (la::clock::now() <= until) {
  }
}

la::job<void> send_then_hold(la::job_ref to, la::clock::time_point until) {
  to.send(item{7});
  hold_the_worker_until(until);
  co_return;
}

la::job<void> hold(la::clock::time_point until) {
  hold_the_worker_until(until);
  co_return;
}
} // namespace

LIBACTOR_TEST_CASE_WITH(move_on_returns_what_a_body_that_finishes_first_returns, config()) {
  auto r = co_await la::move_on_after(1h, yields_then(42));
  BOOST_REQUIRE(r.has_value());
  BOOST_CHECK_EQUAL(*r, 42);
  bool finished = co_await la::move_on_after(1h, yields_only());
  BOOST_CHECK(finished);
  auto at = co_await la::move_on_at(la::clock::now() + 1h, yields_then(7));
  BOOST_CHECK(at == std::optional<int>(7));
}

LIBACTOR_TEST_CASE_WITH(move_on_cuts_a_body_at_its_deadline, config()) {
  auto frames = la::live_job_frames();
  std::atomic<bool> cleaned{false};
  auto start = la::clock::now();
  auto r = co_await la::move_on_after(20ms, sleeps_forever(&cleaned));
  BOOST_CHECK(!r.has_value());
  BOOST_CHECK(cleaned);
  BOOST_CHECK(la::clock::now() - start >= 20ms);  // never early

  std::atomic<bool> void_cleaned{false};
  bool finished = co_await la::move_on_after(10ms, sleeps_forever_void(&void_cleaned));
  BOOST_CHECK(!finished);
  BOOST_CHECK(void_cleaned);

  // The deadline reaches suspension points of jobs awaited inline, at any depth; all cleanup runs.
  std::atomic<bool> inner_cleaned{false}, outer_cleaned{false};
  auto deep = co_await la::move_on_after(10ms, sleeps_two_levels_down(&inner_cleaned, &outer_cleaned));
  BOOST_CHECK(!deep.has_value());
  BOOST_CHECK(inner_cleaned);
  BOOST_CHECK(outer_cleaned);

  // A deadline already passed: the body is cut at its first suspension point.
  std::atomic<bool> past_cleaned{false};
  auto past = co_await la::move_on_at(la::clock::now() - 1s, sleeps_forever(&past_cleaned));
  BOOST_CHECK(!past.has_value());
  BOOST_CHECK(past_cleaned);

  // The scope's cancellation ended with the scope: the job itself is not cancelled.
  BOOST_CHECK(!la::this_job::cancelled());
  co_await la::yield();
  co_await la::sleep(1ms);
  BOOST_CHECK(la::live_job_frames() == frames);
}

LIBACTOR_TEST_CASE_WITH(fail_after_throws_timeout_error, config()) {
  std::atomic<bool> cleaned{false};
  BOOST_CHECK_THROW(co_await la::fail_after(20ms, sleeps_forever(&cleaned)), la::timeout_error);
  BOOST_CHECK(cleaned);
  std::atomic<bool> at_cleaned{false};
  BOOST_CHECK_THROW(co_await la::fail_at(la::clock::now() + 10ms, sleeps_forever_void(&at_cleaned)),
                    la::timeout_error);
  BOOST_CHECK(at_cleaned);
  // In time: the value, or for job<void> nothing at all.
  int v = co_await la::fail_after(1h, yields_then(3));
  BOOST_CHECK_EQUAL(v, 3);
  BOOST_CHECK_NO_THROW(co_await la::fail_after(1h, yields_only()));
  BOOST_CHECK_NO_THROW(co_await la::fail_at(la::clock::now() + 1h, yields_only()));
  BOOST_CHECK(!la::this_job::cancelled());
}

LIBACTOR_TEST_CASE_WITH(wait_for_a_job, config()) {
  int v = co_await la::wait_for(yields_then(11), 1h);
  BOOST_CHECK_EQUAL(v, 11);
  BOOST_CHECK_NO_THROW(co_await la::wait_for(yields_only(), 1h));
  auto quick = la::spawn(yields_only(), {.name = "quick-void"});
  BOOST_CHECK_NO_THROW(co_await la::wait_for(quick, 1h));
  std::atomic<bool> cleaned{false};
  bool timed_out = false;
  try {
    co_await la::wait_for(sleeps_forever(&cleaned), 20ms);
  } catch (const la::timeout_error&) {
    timed_out = true;
    BOOST_CHECK(cleaned);  // the body has ended by the time timeout_error is thrown
  }
  BOOST_CHECK(timed_out);
}

LIBACTOR_TEST_CASE_WITH(wait_for_a_handle_ends_the_child_before_throwing, config()) {
  auto quick = la::spawn(yields_then(12), {.name = "quick"});
  int v = co_await la::wait_for(quick, 1h);
  BOOST_CHECK_EQUAL(v, 12);

  std::atomic<bool> cleaned{false};
  auto slow = la::spawn(sleeps_forever(&cleaned), {.name = "slow"});
  bool timed_out = false;
  try {
    co_await la::wait_for(slow, 20ms);
  } catch (const la::timeout_error&) {
    timed_out = true;
    BOOST_CHECK(slow.done());  // cancelled and ended, not merely asked to stop
    BOOST_CHECK(cleaned);
  }
  BOOST_CHECK(timed_out);
  bool child_cancelled = co_await is_cancelled(slow);
  BOOST_CHECK(child_cancelled);
  BOOST_CHECK(!la::this_job::cancelled());
}

LIBACTOR_TEST_CASE_WITH(nested_scopes_inner_shorter_wins, config()) {
  nesting n;
  auto r = co_await la::move_on_after(1h, inner_scope(20ms, &n));
  BOOST_CHECK(n.inner_returned);
  BOOST_CHECK(n.inner_empty);
  BOOST_CHECK(n.cleaned);
  BOOST_CHECK(n.after_inner);  // the outer scope is not cancelled: its body goes on suspending
  BOOST_CHECK(r == std::optional<int>(5));

  // The same inside fail_after: the inner scope owns the cancellation, the outer returns in time.
  nesting f;
  int v = co_await la::fail_after(1h, inner_scope(10ms, &f));
  BOOST_CHECK_EQUAL(v, 5);
  BOOST_CHECK(f.inner_empty);
}

LIBACTOR_TEST_CASE_WITH(nested_scopes_outer_shorter_wins, config()) {
  nesting n;
  auto r = co_await la::move_on_after(20ms, inner_scope(1h, &n));
  BOOST_CHECK(!r.has_value());      // the outer scope swallowed its own cancellation
  BOOST_CHECK(!n.inner_returned);   // the inner scope did not: it rethrew
  BOOST_CHECK(!n.after_inner);
  BOOST_CHECK(n.cleaned);

  nesting f;
  BOOST_CHECK_THROW(co_await la::fail_after(20ms, inner_scope(1h, &f)), la::timeout_error);
  BOOST_CHECK(!f.inner_returned);
  BOOST_CHECK(f.cleaned);
}

LIBACTOR_TEST_CASE_WITH(current_deadline_reports_the_nearest_deadline, config()) {
  constexpr auto none = la::clock::time_point::max();
  BOOST_CHECK(la::current_deadline() == none);
  auto t1 = la::clock::now() + 1h;
  auto t2 = t1 + 1h;
  auto in_scope = co_await la::move_on_at(t1, deadline_here());
  BOOST_CHECK(in_scope == std::optional(t1));
  // Nested: the nearer one, whichever scope is inner.
  auto outer_nearer = co_await la::move_on_at(t1, deadline_in_nested_scope(t2));
  BOOST_CHECK(outer_nearer == std::optional(t1));
  auto inner_nearer = co_await la::move_on_at(t2, deadline_in_nested_scope(t1));
  BOOST_CHECK(inner_nearer == std::optional(t1));
  // fail_after rounds up to the clock's resolution, never down.
  auto before = la::clock::now();
  auto d = co_await la::fail_after(1h, deadline_here());
  BOOST_CHECK(d >= before + 1h);
  BOOST_CHECK(d != none);
  // Closed scopes leave nothing behind; a spawned job does not inherit its spawner's deadline.
  BOOST_CHECK(la::current_deadline() == none);
  auto child = la::spawn(deadline_here());
  auto child_sees = co_await la::move_on_at(t1, await_handle(child));
  BOOST_CHECK(child_sees == std::optional(none));
}

BOOST_AUTO_TEST_CASE(current_deadline_outside_a_job_throws_usage_error) {
  BOOST_CHECK_THROW(la::current_deadline(), la::usage_error);
  // A scope is lazy like any job: creating one outside a job runs nothing and frees its frames.
  auto frames = la::live_job_frames();
  {
    auto scope = la::move_on_after(1h, yields_then(1));
    BOOST_CHECK(la::live_job_frames() > frames);
  }
  BOOST_CHECK(la::live_job_frames() == frames);
}

LIBACTOR_TEST_CASE_WITH(cancelling_the_job_is_not_swallowed_by_a_scope, config()) {
  // A peer cancels the job while it sleeps inside a 1 h scope.
  scoped_probe p;
  auto h = la::spawn(sleeps_in_scope(la::this_job::ref(), &p), {.name = "scoped"});
  co_await la::receive<started>();
  h.cancel();
  bool raised = co_await is_cancelled(h);
  BOOST_CHECK(raised);
  BOOST_CHECK(!p.scope_returned);
  BOOST_CHECK(p.cleaned);

  // The job cancels itself, then opens a scope.
  scoped_probe self;
  auto s = la::spawn(cancels_itself_in_scope(&self), {.name = "self-cancelling"});
  bool self_raised = co_await is_cancelled(s);
  BOOST_CHECK(self_raised);
  BOOST_CHECK(!self.scope_returned);

  // Even a scope whose own deadline has passed too does not own the job's cancellation.
  scoped_probe expired;
  auto e = la::spawn(cancels_itself_in_expired_scope(&expired), {.name = "expired"});
  bool expired_raised = co_await is_cancelled(e);
  BOOST_CHECK(expired_raised);
  BOOST_CHECK(!expired.scope_returned);
}

LIBACTOR_TEST_CASE_WITH(deadline_cuts_receive, config()) {
  auto r = co_await la::move_on_after(20ms, receive_item());
  BOOST_CHECK(!r.has_value());
  BOOST_CHECK_THROW(co_await la::fail_after(10ms, receive_item()), la::timeout_error);
  // The scope's deadline beats a longer receive timeout: cut, not timeout_error.
  auto longer = co_await la::move_on_after(10ms, receive_never_with_timeout(1h));
  BOOST_CHECK(!longer.has_value());
  // A shorter receive timeout fires first and is not a cancellation: it passes through the scope.
  BOOST_CHECK_THROW(co_await la::move_on_after(1h, receive_never_with_timeout(10ms)), la::timeout_error);
  // The mailbox still works: a message sent now is received.
  la::this_job::ref().send(item{9});
  auto m = co_await la::move_on_after(1h, receive_item());
  BOOST_CHECK(m == std::optional<int>(9));
}

LIBACTOR_TEST_CASE_WITH(deadline_cuts_ask, config()) {
  auto server = la::spawn(silent_server(), {.name = "silent"});
  auto r = co_await la::move_on_after(20ms, ask_int(server));
  BOOST_CHECK(!r.has_value());
  BOOST_CHECK_THROW(co_await la::wait_for(ask_int(server), 10ms), la::timeout_error);
  server.cancel();
  bool server_cancelled = co_await is_cancelled(server);
  BOOST_CHECK(server_cancelled);
}

LIBACTOR_TEST_CASE_WITH(deadline_cuts_awaiting_a_child_and_waits_for_its_end, config()) {
  std::atomic<bool> cleaned{false};
  auto child = la::spawn(sleeps_forever(&cleaned), {.name = "child"});
  auto r = co_await la::move_on_after(20ms, await_handle(child));
  BOOST_CHECK(!r.has_value());
  BOOST_CHECK(child.done());
  BOOST_CHECK(cleaned);
  bool child_cancelled = co_await is_cancelled(child);
  BOOST_CHECK(child_cancelled);
}

LIBACTOR_TEST_CASE_WITH(an_expired_scope_is_level_triggered, config()) {
  int raised = 0;
  auto r = co_await la::move_on_after(20ms, keeps_suspending(&raised));
  BOOST_CHECK_EQUAL(raised, 6);  // every suspension point inside the expired scope raised
  // The body swallowed each cancellation and returned: its value is the scope's result.
  BOOST_CHECK(r == std::optional<int>(6));
  co_await la::yield();  // outside the scope nothing is cancelled
  BOOST_CHECK(!la::this_job::cancelled());
}

// A receive cut by the deadline takes nothing: a message that arrives meanwhile stays queued for the
// next receive (the job goes on after the scope, so a dropped message would be lost for good).
LIBACTOR_TEST_CASE_WITH(a_cut_receive_leaves_the_message_queued, config()) {
  auto r = co_await la::move_on_at(la::clock::now() - 1s, sends_itself_then_receives());
  BOOST_CHECK(!r.has_value());
  auto again = co_await la::move_on_after(1s, receive_item());
  BOOST_CHECK_MESSAGE(again == std::optional<int>(1), "the item was taken from the mailbox and dropped");
}

LIBACTOR_TEST_CASE_WITH(a_result_ready_in_time_is_returned, config()) {
  // No suspension point after the deadline: nothing raises, the value is returned.
  auto at_once = co_await la::move_on_at(la::clock::now() - 1s, returns_at_once(4));
  BOOST_CHECK(at_once == std::optional<int>(4));
  int v = co_await la::fail_at(la::clock::now() - 1s, returns_at_once(5));
  BOOST_CHECK_EQUAL(v, 5);
  // A child that has ended: its result is there, even with no time left.
  auto child = la::spawn(returns_at_once(6));
  co_await child;
  int w = co_await la::wait_for(child, 0ms);
  BOOST_CHECK_EQUAL(w, 6);
}

// The item reaches the job's mailbox before the deadline, but the only worker is busy until after it:
// the receive that takes the item must not lose it. Either the scope returns it, or it stays queued.
LIBACTOR_TEST_CASE_WITH(a_message_that_arrived_in_time_is_not_lost, one_worker()) {
  auto deadline = la::clock::now() + 20ms;
  auto sender = la::spawn(send_then_hold(la::this_job::ref(), deadline), {.name = "sender"});
  auto r = co_await la::move_on_at(deadline, receive_item());
  co_await sender;
  if (r.has_value()) {
    BOOST_CHECK_EQUAL(*r, 7);
  } else {
    auto again = co_await la::move_on_after(1s, receive_item());
    BOOST_CHECK_MESSAGE(again == std::optional<int>(7), "the item was taken from the mailbox and dropped");
  }
}

// The child ends before the deadline; the awaiting job runs only after it (the worker is held).
LIBACTOR_TEST_CASE_WITH(a_child_result_produced_in_time_is_not_lost, one_worker()) {
  auto deadline = la::clock::now() + 20ms;
  auto child = la::spawn(returns_at_once(8), {.name = "child"});  // runs first: FIFO
  auto holder = la::spawn(hold(deadline), {.name = "holder"});
  auto r = co_await la::move_on_at(deadline, await_handle(child));
  co_await holder;
  BOOST_CHECK(child.done());
  BOOST_CHECK_MESSAGE(r == std::optional<int>(8), "the child's result was ready before the deadline");
}
