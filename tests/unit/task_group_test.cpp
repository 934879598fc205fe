// task_group: run ends only after the body and every child; the first failure cancels the rest
// and one exception_group names every failure; cancellations are not failures; cancel() ends the
// group normally; a cancelled caller cancels and reaps every member; no frame leaks.
#define BOOST_TEST_MODULE task_group
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <atomic>
#include <stdexcept>
#include <string>
#include "../support/probes.hpp"

namespace la = libactor;
using namespace std::chrono_literals;
using la::testing::set_on_destroy;

namespace {
struct started {};

la::job<void> counts_after_yields(std::atomic<int>* count, int yields) {
  for (int i = 0; i < yields; ++i)
    co_await la::yield();
  ++*count;
}

la::job<int> value_after_yield(int v) {
  co_await la::yield();
  co_return v;
}

la::job<void> fails(std::string what) {
  co_await la::yield();
  throw std::runtime_error(what);
}

// Sleeps until cancelled; tells `to` (if valid) that it started; `cleaned` is set by its destructors.
la::job<void> sleeper(la::job_ref to, std::atomic<bool>* cleaned) {
  set_on_destroy guard{cleaned};
  if (to.valid())
    to.send(started{});
  co_await la::sleep(1h);
}

// Tells `to` it started, and fails while being cancelled (a second, genuine failure).
la::job<void> fails_on_cancel(la::job_ref to) {
  to.send(started{});
  bool was_cancelled = false;
  try {
    co_await la::sleep(1h);
  } catch (const la::cancelled&) {
    was_cancelled = true;
  }
  if (was_cancelled)
    throw std::runtime_error("cleanup failed");
}

la::job<void> spawns_and_returns(la::task_group& g, std::atomic<int>* count) {
  for (int i = 0; i < 5; ++i)
    g.spawn(counts_after_yields(count, 3 + i));
  co_return;  // the body ends first; run still waits for the children
}

la::job<void> child_fails_while_body_sleeps(la::task_group& g, std::atomic<bool>* body_cleaned,
                                            std::atomic<bool>* sibling_cleaned) {
  set_on_destroy guard{body_cleaned};
  g.spawn(sleeper({}, sibling_cleaned), {.name = "sibling"});
  g.spawn(fails("boom"), {.name = "bad"});
  co_await la::sleep(1h);
}

la::job<void> two_failures(la::task_group& g) {
  g.spawn(fails_on_cancel(la::this_job::ref()), {.name = "second"});
  co_await la::receive<started>();  // it is running before the first failure
  g.spawn(fails("first"), {.name = "first"});
  co_await la::sleep(1h);
}

la::job<void> cancels_itself(la::task_group& g, std::atomic<bool>* a, std::atomic<bool>* b) {
  g.spawn(sleeper(la::this_job::ref(), a));
  g.spawn(sleeper(la::this_job::ref(), b));
  co_await la::receive<started>();
  co_await la::receive<started>();
  g.cancel();
  co_await la::sleep(1h);  // raises: the body is a member too
}

la::job<void> run_group_of_sleepers(la::job_ref test, std::atomic<bool>* body_cleaned,
                                    std::atomic<bool>* a, std::atomic<bool>* b) {
  // A named lambda: g++ 12 destroys a capturing lambda *temporary* in a co_await expression twice.
  auto body = [test, body_cleaned, a, b](la::task_group& g) {
    return [](la::task_group& g, la::job_ref test, std::atomic<bool>* body_cleaned, std::atomic<bool>* a,
              std::atomic<bool>* b) -> la::job<void> {
      set_on_destroy guard{body_cleaned};
      g.spawn(sleeper(test, a));
      g.spawn(sleeper(test, b));
      co_await la::sleep(1h);
    }(g, test, body_cleaned, a, b);
  };
  co_await la::task_group::run(body);
}

la::job<void> body_fails(la::task_group& g, std::atomic<bool>* child_cleaned) {
  g.spawn(sleeper({}, child_cleaned));
  co_await la::yield();
  throw std::logic_error("body broke");
}

la::job<void> awaits_children(la::task_group& g, int* sum) {
  auto a = g.spawn(value_after_yield(20));
  auto b = g.spawn(value_after_yield(22));
  int x = co_await a;
  int y = co_await b;
  *sum = x + y;
}

la::job<void> cancels_one_child(la::task_group& g, std::atomic<bool>* cleaned) {
  auto h = g.spawn(sleeper(la::this_job::ref(), cleaned));
  co_await la::receive<started>();
  h.cancel();  // a cancelled child is not a failure
}
} // namespace

LIBACTOR_TEST_CASE(run_waits_for_body_and_all_children) {
  auto before = la::live_job_frames();
  std::atomic<int> count{0};
  co_await la::task_group::run([&count](la::task_group& g) { return spawns_and_returns(g, &count); });
  BOOST_CHECK_EQUAL(count.load(), 5);
  BOOST_CHECK_EQUAL(la::live_job_frames(), before);
}

LIBACTOR_TEST_CASE(child_failure_cancels_everything_and_throws_a_group) {
  auto before = la::live_job_frames();
  std::atomic<bool> body_cleaned{false};
  std::atomic<bool> sibling_cleaned{false};
  bool caught = false;
  std::size_t size = 0;
  std::string name;
  std::string what;
  bool original_type = false;
  try {
    co_await la::task_group::run([&](la::task_group& g) {
      return child_fails_while_body_sleeps(g, &body_cleaned, &sibling_cleaned);
    });
  } catch (const la::exception_group& e) {
    caught = true;
    size = e.size();
    name = e.names().at(0);
    what = e.what();
    try {
      std::rethrow_exception(e.exceptions().at(0));
    } catch (const std::runtime_error& inner) {
      original_type = std::string(inner.what()) == "boom";
    }
  }
  BOOST_CHECK(caught);
  BOOST_CHECK_EQUAL(size, 1u);  // the cancelled body and sibling are not failures
  BOOST_CHECK_EQUAL(name, "bad");
  BOOST_CHECK(what.find("bad: boom") != std::string::npos);
  BOOST_CHECK(original_type);
  BOOST_CHECK(body_cleaned.load());
  BOOST_CHECK(sibling_cleaned.load());
  BOOST_CHECK_EQUAL(la::live_job_frames(), before);
}

LIBACTOR_TEST_CASE(every_failure_is_reported) {
  bool caught = false;
  std::string what;
  std::size_t size = 0;
  try {
    co_await la::task_group::run([](la::task_group& g) { return two_failures(g); });
  } catch (const la::exception_group& e) {
    caught = true;
    size = e.size();
    what = e.what();
  }
  BOOST_CHECK(caught);
  BOOST_CHECK_EQUAL(size, 2u);
  BOOST_CHECK(what.find("first: first") != std::string::npos);
  BOOST_CHECK(what.find("second: cleanup failed") != std::string::npos);
}

LIBACTOR_TEST_CASE(body_failure_is_a_failure_too) {
  std::atomic<bool> child_cleaned{false};
  std::string what;
  try {
    co_await la::task_group::run([&](la::task_group& g) { return body_fails(g, &child_cleaned); });
  } catch (const la::exception_group& e) {
    what = e.what();
  }
  BOOST_CHECK(what.find("task_group-body: body broke") != std::string::npos);
  BOOST_CHECK(child_cleaned.load());
}

LIBACTOR_TEST_CASE(cancel_ends_the_group_normally) {
  auto before = la::live_job_frames();
  std::atomic<bool> a{false};
  std::atomic<bool> b{false};
  co_await la::task_group::run([&](la::task_group& g) { return cancels_itself(g, &a, &b); });
  BOOST_CHECK(a.load());
  BOOST_CHECK(b.load());
  BOOST_CHECK(!la::this_job::cancelled());
  BOOST_CHECK_EQUAL(la::live_job_frames(), before);
}

LIBACTOR_TEST_CASE(cancelled_caller_cancels_and_reaps_all_members) {
  auto before = la::live_job_frames();
  std::atomic<bool> body_cleaned{false};
  std::atomic<bool> a{false};
  std::atomic<bool> b{false};
  auto runner = la::spawn(run_group_of_sleepers(la::this_job::ref(), &body_cleaned, &a, &b));
  co_await la::receive<started>();
  co_await la::receive<started>();
  runner.cancel();
  bool raised = false;
  try {
    co_await runner;
  } catch (const la::cancelled&) {
    raised = true;
  }
  BOOST_CHECK(raised);
  BOOST_CHECK(body_cleaned.load());
  BOOST_CHECK(a.load());
  BOOST_CHECK(b.load());
  BOOST_CHECK_EQUAL(la::live_job_frames(), before);
}

LIBACTOR_TEST_CASE(children_are_awaitable_handles) {
  int sum = 0;
  co_await la::task_group::run([&sum](la::task_group& g) { return awaits_children(g, &sum); });
  BOOST_CHECK_EQUAL(sum, 42);
}

LIBACTOR_TEST_CASE(a_cancelled_child_is_not_a_failure) {
  std::atomic<bool> cleaned{false};
  co_await la::task_group::run([&cleaned](la::task_group& g) { return cancels_one_child(g, &cleaned); });
  BOOST_CHECK(cleaned.load());
}

// task_group::start (Trio's nursery.start): the caller goes on only once the child called ready.
namespace {
struct go {};
struct stop {};
struct group_is {
  la::task_group* group;
  la::job_ref body;
};

// Does its setup (a yield), says ready (twice: idempotent), then works until told to go.
la::job<int> ready_then_works(la::task_group::ready_token t) {
  co_await la::yield();
  t.ready();
  t.ready();
  co_await la::receive<go>();
  co_return 7;
}

la::job<void> fails_before_ready(la::task_group::ready_token) {
  co_await la::yield();
  throw std::runtime_error("setup failed");
}

la::job<int> returns_without_ready(la::task_group::ready_token) {
  co_await la::yield();
  co_return 1;
}

la::job<void> starts_and_checks(la::task_group& g, int* result, bool* other_ready) {
  auto h = co_await g.start(ready_then_works);
  *other_ready = !h.done();  // it is still working: it waits for `go`
  h.send(go{});
  *result = co_await h;
  // A second start in the same job sees only its own child's signal.
  auto h2 = co_await g.start(ready_then_works);
  h2.send(go{});
  *result += co_await h2;
}

// Hosts a group for a job outside it: tells `main` where the group is, then waits to be stopped.
struct host {
  la::job_ref main;
  la::job<void> operator()(la::task_group& g) {
    main.send(group_is{&g, la::this_job::ref()});
    co_await la::receive<stop>();
  }
};

la::job<void> hosts_a_group(la::job_ref main) {
  host body{main};
  co_await la::task_group::run(body);
}

// A child that never calls ready: tells `to` it runs, then waits until cancelled.
la::job<void> never_ready(la::task_group::ready_token, la::job_ref to, std::atomic<bool>* cleaned) {
  set_on_destroy guard{cleaned};
  to.send(started{});
  co_await la::receive<stop>();
}

// What start() calls can be any function object: this one passes its members on.
struct never_ready_fn {
  la::job_ref main;
  std::atomic<bool>* cleaned;
  la::job<void> operator()(la::task_group::ready_token t) const { return never_ready(t, main, cleaned); }
};

la::job<void> starts_one_that_never_gets_ready(la::task_group* g, never_ready_fn fn) { co_await g->start(fn); }
} // namespace

LIBACTOR_TEST_CASE(start_returns_the_handle_once_the_child_is_ready) {
  int result = 0;
  bool still_working = false;
  co_await la::task_group::run([&result, &still_working](la::task_group& g) {
    return starts_and_checks(g, &result, &still_working);
  });
  BOOST_CHECK(still_working);
  BOOST_CHECK_EQUAL(result, 14);
}

LIBACTOR_TEST_CASE(start_rethrows_a_failure_before_ready_to_a_caller_outside_the_group) {
  auto runner = la::spawn(hosts_a_group(la::this_job::ref()));
  auto g = (co_await la::receive<group_is>()).value().group;
  bool threw = false;
  try {
    co_await g->start(fails_before_ready);
  } catch (const std::runtime_error& e) {
    threw = std::string(e.what()) == "setup failed";
  }
  BOOST_CHECK(threw);
  // The group handled it as any member's failure: it cancelled the body and reports the child.
  try {
    co_await runner;
    BOOST_CHECK(false);
  } catch (const la::exception_group& e) {
    BOOST_CHECK_EQUAL(e.size(), 1u);
  }
}

LIBACTOR_TEST_CASE(a_failure_before_ready_cancels_a_body_waiting_in_start) {
  bool body_cancelled = false;
  auto body = [](la::task_group& g, bool* out) -> la::job<void> {
    try {
      co_await g.start(fails_before_ready);
    } catch (const la::cancelled&) {
      *out = true;  // the group, failing, cancelled the body
      throw;
    }
  };
  try {
    co_await la::task_group::run([&body_cancelled, &body](la::task_group& g) { return body(g, &body_cancelled); });
    BOOST_CHECK(false);
  } catch (const la::exception_group& e) {
    BOOST_CHECK_EQUAL(e.size(), 1u);  // the child only: the body was cancelled, not failed
  }
  BOOST_CHECK(body_cancelled);
}

LIBACTOR_TEST_CASE(a_child_that_ends_without_ready_is_an_error_of_start) {
  bool usage = false;
  auto body = [](la::task_group& g, bool* out) -> la::job<void> {
    try {
      co_await g.start(returns_without_ready);
    } catch (const la::usage_error&) {
      *out = true;
    }
  };
  co_await la::task_group::run([&usage, &body](la::task_group& g) { return body(g, &usage); });
  BOOST_CHECK(usage);  // and the group ended normally: a child that returned did not fail it
}

LIBACTOR_TEST_CASE(a_caller_cancelled_in_start_cancels_the_child) {
  std::atomic<bool> cleaned{false};
  auto runner = la::spawn(hosts_a_group(la::this_job::ref()));
  auto [g, body] = (co_await la::receive<group_is>()).value();
  auto starter = la::spawn(starts_one_that_never_gets_ready(g, never_ready_fn{la::this_job::ref(), &cleaned}));
  co_await la::receive<started>();  // the child runs: the starter waits in start
  starter.cancel();
  bool raised = co_await la::testing::is_cancelled(starter);
  BOOST_CHECK(raised);
  BOOST_CHECK(cleaned.load());  // the child had ended before start raised
  body.send(stop{});
  co_await runner;  // a cancelled child is no failure of the group
}
