// async_scope: with() awaits enter, the body, then always exit — on success, exception and
// cancellation — with the right error; exit's own suspension points work while the job is
// cancelled (it is shielded); the body's value, exception or cancellation comes out unchanged;
// an exception from exit replaces the body's; a failing enter skips body and exit; finally() does
// the same for a plain cleanup job; no frame leaks.
#define BOOST_TEST_MODULE async_scope
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <atomic>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include "../support/probes.hpp"

namespace la = libactor;
using namespace std::chrono_literals;
using la::testing::is_cancelled;

namespace {
// The runtime every case runs in: virtual time, so exit's sleeps cost no real time.
la::runtime_config config() { return la::runtime_config{.virtual_time = true}; }

struct started {};
struct req {
  int x;
};
struct body_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct enter_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct exit_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// True when `e` holds an `E`.
template <class E>
bool holds(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const E&) {
    return true;
  } catch (...) {
    return false;
  }
}

// What the manager and the bodies observed; owned by the test body, read after the jobs ended.
struct trace {
  std::atomic<int> entered{0};
  std::atomic<int> bodies{0};
  std::atomic<int> exits{0};
  std::atomic<bool> exit_finished{false};   // exit got past all its suspension points
  std::atomic<bool> cancelled_in_exit{true};  // this_job::cancelled() inside exit (shielded: false)
  std::atomic<int> answer{0};               // what exit's ask got back
  std::exception_ptr error;                 // what exit received; written before exit_finished
};

// Answers asks with x * 2 until it gets x == 0.
la::job<void> doubler() {
  for (;;) {
    auto m = co_await la::receive<req>();
    int x = m.value().x;
    m.reply(x * 2);
    if (x == 0)
      co_return;
  }
}

// An async context manager whose resource is an int and whose exit sleeps, yields and asks.
struct recorder {
  trace* t;
  la::job_ref helper;  // answers exit's ask; invalid: exit does not ask
  bool fail_enter = false;
  bool fail_exit = false;

  la::job<int> enter() {
    co_await la::yield();
    if (fail_enter)
      throw enter_error("enter");
    ++t->entered;
    co_return 20;
  }
  la::job<void> exit(std::exception_ptr error) {
    ++t->exits;
    t->error = std::move(error);
    t->cancelled_in_exit = la::this_job::cancelled();
    co_await la::sleep(5ms);
    co_await la::yield();
    if (helper.valid())
      t->answer = co_await helper.ask<int>(req{21}, 1h);
    t->exit_finished = true;
    if (fail_exit)
      throw exit_error("exit");
  }
};
static_assert(la::async_context_manager<recorder>);
static_assert(!la::async_context_manager<int>);

// A move-only manager with a void resource that keeps its state in the frame (a temporary is
// moved into with()'s job): exit checks that the name survived the move.
struct named {
  named(std::unique_ptr<std::string> n, trace* tr) : name(std::move(n)), t(tr) {}
  std::unique_ptr<std::string> name;
  trace* t;
  la::job<void> enter() {
    co_await la::yield();
    ++t->entered;
  }
  la::job<void> exit(std::exception_ptr error) {
    co_await la::yield();
    ++t->exits;
    t->error = std::move(error);
    t->exit_finished = *name == "a name longer than the small-string buffer";
  }
};

la::job<int> add_one(int& r, trace* t) {
  ++t->bodies;
  co_await la::yield();
  r += 1;  // the body gets the resource by reference
  co_return r;
}

la::job<void> throws(trace* t) {
  ++t->bodies;
  co_await la::yield();
  throw body_error("body");
}

// Tells the test body that it runs, then waits until cancelled.
la::job<int> waits_forever(trace* t, la::job_ref body) {
  ++t->bodies;
  body.send(started{});
  co_await la::sleep(1h);
  co_return -1;
}

la::job<void> nothing() { co_return; }

la::job<int> with_recorder(recorder m, la::job_ref body) {
  auto b = [&m, body](int&) { return waits_forever(m.t, body); };
  co_return co_await la::with(m, b);
}

la::job<int> cancels_itself_then_with(recorder m) {
  la::this_job::ref().cancel();
  auto b = [&m](int& r) { return add_one(r, m.t); };
  co_return co_await la::with(m, b);
}

la::job<int> finally_waits(trace* t, la::job_ref body) {
  recorder cleanup{t, {}};
  co_return co_await la::finally(waits_forever(t, body), cleanup.exit(nullptr));
}

} // namespace

LIBACTOR_TEST_CASE_WITH(exit_runs_after_a_successful_body, config()) {
  trace t;
  auto helper = la::spawn(doubler());
  recorder m{&t, helper};
  auto body = [&t](int& r) { return add_one(r, &t); };
  int v = co_await la::with(m, body);
  BOOST_CHECK_EQUAL(v, 21);
  BOOST_CHECK_EQUAL(t.entered.load(), 1);
  BOOST_CHECK_EQUAL(t.bodies.load(), 1);
  BOOST_CHECK_EQUAL(t.exits.load(), 1);
  BOOST_CHECK(!t.error);
  BOOST_CHECK(t.exit_finished);
  BOOST_CHECK_EQUAL(t.answer.load(), 42);
  co_await helper.ask<int>(req{0}, 1h);
  co_await helper;

  // A non-capturing coroutine lambda is a body too.
  trace u;
  recorder n{&u, {}};
  auto s = co_await la::with(n, [](int& r) -> la::job<std::string> { co_return std::to_string(r); });
  BOOST_CHECK_EQUAL(s, "20");
  BOOST_CHECK(u.exit_finished);
}

LIBACTOR_TEST_CASE_WITH(the_body_exception_reaches_exit_and_comes_out_unchanged, config()) {
  trace t;
  recorder m{&t, {}};
  auto body = [&t](int&) { return throws(&t); };
  const body_error* seen = nullptr;
  try {
    co_await la::with(m, body);
  } catch (const body_error& e) {
    seen = &e;
  }
  BOOST_REQUIRE(seen != nullptr);
  BOOST_CHECK(holds<body_error>(t.error));
  // The very exception object that exit received, not a copy.
  try {
    std::rethrow_exception(t.error);
  } catch (const body_error& e) {
    BOOST_CHECK(&e == seen);
  }
  BOOST_CHECK(t.exit_finished);
}

LIBACTOR_TEST_CASE_WITH(exit_runs_shielded_when_the_body_is_cancelled, config()) {
  trace t;
  auto helper = la::spawn(doubler());
  recorder m{&t, helper};
  auto h = la::spawn(with_recorder(m, la::this_job::ref()));
  co_await la::receive<started>();  // the body runs
  h.cancel();
  bool raised = co_await is_cancelled(h);  // the body's cancelled came out of with()
  BOOST_CHECK(raised);
  BOOST_CHECK_EQUAL(t.exits.load(), 1);
  BOOST_CHECK(holds<la::cancelled>(t.error));
  BOOST_CHECK(!t.cancelled_in_exit);
  BOOST_CHECK(t.exit_finished);  // its sleep, yield and ask completed although the job was cancelled
  BOOST_CHECK_EQUAL(t.answer.load(), 42);
  co_await helper.ask<int>(req{0}, 1h);
  co_await helper;
}

LIBACTOR_TEST_CASE_WITH(exit_runs_shielded_when_a_deadline_cuts_the_body, config()) {
  trace t;
  recorder m{&t, {}};
  auto body = [&m](int&) { return waits_forever(m.t, la::this_job::ref()); };
  auto start = la::clock::now();
  auto r = co_await la::move_on_after(10ms, la::with(m, body));
  co_await la::receive<started>();
  BOOST_CHECK(!r.has_value());
  BOOST_CHECK(holds<la::cancelled>(t.error));
  BOOST_CHECK(t.exit_finished);
  BOOST_CHECK(la::clock::now() >= start + 15ms);  // exit slept past the deadline
}

LIBACTOR_TEST_CASE_WITH(an_exception_from_exit_replaces_the_body_outcome, config()) {
  trace t;
  recorder m{&t, {}, false, true};
  auto fails = [&t](int&) { return throws(&t); };
  BOOST_CHECK_THROW(co_await la::with(m, fails), exit_error);
  BOOST_CHECK(holds<body_error>(t.error));

  trace u;
  recorder n{&u, {}, false, true};
  auto succeeds = [&u](int& r) { return add_one(r, &u); };
  BOOST_CHECK_THROW(co_await la::with(n, succeeds), exit_error);
  BOOST_CHECK(!u.error);

  // Cancelled body, failing exit: the job ends with exit's exception.
  trace w;
  recorder fails_late{&w, {}, false, true};
  auto h = la::spawn(with_recorder(fails_late, la::this_job::ref()));
  co_await la::receive<started>();
  h.cancel();
  BOOST_CHECK_THROW(co_await h, exit_error);
  BOOST_CHECK(holds<la::cancelled>(w.error));
}

LIBACTOR_TEST_CASE_WITH(a_failing_enter_skips_body_and_exit, config()) {
  trace t;
  recorder m{&t, {}, true, false};
  auto body = [&t](int& r) { return add_one(r, &t); };
  BOOST_CHECK_THROW(co_await la::with(m, body), enter_error);
  BOOST_CHECK_EQUAL(t.bodies.load(), 0);
  BOOST_CHECK_EQUAL(t.exits.load(), 0);

  // Cancelled before enter: enter raises at its first suspension point; nothing else runs.
  trace u;
  recorder early{&u, {}};
  auto h = la::spawn(cancels_itself_then_with(early));
  bool raised = co_await is_cancelled(h);
  BOOST_CHECK(raised);
  BOOST_CHECK_EQUAL(u.entered.load(), 0);
  BOOST_CHECK_EQUAL(u.bodies.load(), 0);
  BOOST_CHECK_EQUAL(u.exits.load(), 0);
}

LIBACTOR_TEST_CASE_WITH(a_temporary_manager_with_a_void_resource, config()) {
  trace t;
  auto body = [&t] { return throws(&t); };
  auto name = std::make_unique<std::string>("a name longer than the small-string buffer");
  BOOST_CHECK_THROW(co_await la::with(named(std::move(name), &t), body), body_error);
  BOOST_CHECK_EQUAL(t.entered.load(), 1);
  BOOST_CHECK_EQUAL(t.exits.load(), 1);
  BOOST_CHECK(holds<body_error>(t.error));
  BOOST_CHECK(t.exit_finished);  // the moved manager was intact in exit

  // Created now, awaited later: the job owns the manager.
  trace u;
  auto j = la::with(named{std::make_unique<std::string>("a name longer than the small-string buffer"), &u},
                    []() -> la::job<int> { co_return 3; });
  BOOST_CHECK_EQUAL(co_await std::move(j), 3);
  BOOST_CHECK(u.exit_finished);
  BOOST_CHECK(!u.error);
}

LIBACTOR_TEST_CASE_WITH(finally_runs_the_cleanup_on_every_path, config()) {
  trace t;
  recorder c{&t, {}};
  int x = 1;
  int v = co_await la::finally(add_one(x, &t), c.exit(nullptr));
  BOOST_CHECK_EQUAL(v, 2);
  BOOST_CHECK(t.exit_finished);

  trace u;
  recorder d{&u, {}};
  BOOST_CHECK_THROW(co_await la::finally(throws(&u), d.exit(nullptr)), body_error);
  BOOST_CHECK(u.exit_finished);

  trace w;
  recorder e{&w, {}, false, true};
  BOOST_CHECK_THROW(co_await la::finally(throws(&w), e.exit(nullptr)), exit_error);

  trace z;
  auto h = la::spawn(finally_waits(&z, la::this_job::ref()));
  co_await la::receive<started>();
  h.cancel();
  bool raised = co_await is_cancelled(h);
  BOOST_CHECK(raised);
  BOOST_CHECK(!z.cancelled_in_exit);
  BOOST_CHECK(z.exit_finished);  // the cleanup slept and yielded while the job was cancelled
}

LIBACTOR_TEST_CASE_WITH(async_scopes_leak_no_frames, config()) {
  auto frames = la::live_job_frames();
  for (int round = 0; round < 3; ++round) {
    trace t;
    recorder m{&t, {}};
    auto ok = [&t](int& r) { return add_one(r, &t); };
    co_await la::with(m, ok);
    auto fails = [&t](int&) { return throws(&t); };
    try {
      co_await la::with(m, fails);
    } catch (const body_error&) {
    }
    recorder bad{&t, {}, true, false};
    try {
      co_await la::with(bad, ok);
    } catch (const enter_error&) {
    }
    auto h = la::spawn(with_recorder(m, la::this_job::ref()));
    co_await la::receive<started>();
    h.cancel();
    co_await is_cancelled(h);
    auto g = la::spawn(finally_waits(&t, la::this_job::ref()));
    co_await la::receive<started>();
    g.cancel();
    co_await is_cancelled(g);
    // A job made and never awaited frees its manager, body and frames too.
    auto unused = la::with(named{std::make_unique<std::string>("x"), &t}, [] { return nothing(); });
  }
  BOOST_CHECK_EQUAL(la::live_job_frames(), frames);
}
