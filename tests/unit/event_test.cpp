// event: set/clear/is_set; a wait passes at once while the event is set and waits again after
// clear(); set() wakes every waiter, also when cleared again at once, and also when called from a
// plain std::thread; a waiter cancelled while waiting leaves the others waiting; a waiter woken and
// cancelled at once keeps its wake-up and raises at its next suspension; waits cut by
// move_on_after / wait_for leave it consistent; a wait that begins cancelled raises even on a set
// event; a race of waiters, a toggler and random cancellations on 4 workers ends with every waiter
// through or cancelled.
#define BOOST_TEST_MODULE event
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <atomic>
#include <random>
#include <thread>
#include <vector>
#include "../support/sync_probes.hpp"

namespace la = libactor;
using namespace std::chrono_literals;
using namespace la::testing;

namespace {
// Virtual time: the clock moves only once every job is idle, so after the body's sleep every
// waiter has parked.
la::runtime_config config() { return la::runtime_config{.virtual_time = true}; }
// One worker: nothing else runs until the body suspends, so a wake-up and a cancel land together.
la::runtime_config one_worker() { return la::runtime_config{.threads = 1, .virtual_time = true}; }

// Waits for the event, then counts itself through.
la::job<void> waits(la::event& e, std::atomic<int>* through) {
  co_await e.wait();
  ++*through;
}

// Waits, records that the wait returned, then suspends once more.
la::job<void> waits_then_sleeps(la::event& e, std::atomic<bool>* passed) {
  co_await e.wait();
  *passed = true;
  co_await la::sleep(1h);
}

la::job<bool> cut_by_move_on(la::event& e) { co_return co_await la::move_on_after(5ms, e.wait()); }

la::job<bool> cut_by_wait_for(la::event& e) {
  try {
    co_await la::wait_for(e.wait(), 5ms);
  } catch (const la::timeout_error&) {
    co_return false;
  }
  co_return true;
}

// Swallows a cancellation, then waits: the wait begins cancelled.
la::job<void> waits_when_cancelled(la::event& e, std::atomic<bool>* passed) {
  try {
    co_await la::sleep(1h);
  } catch (const la::cancelled&) {
  }
  co_await e.wait();
  *passed = true;
}

// Waits `rounds` times, sometimes with a short (real-time) deadline, yielding in between.
la::job<void> racing_waiter(la::event& e, std::atomic<int>* passes, unsigned seed) {
  std::minstd_rand rng{seed};
  for (int round = 0; round < 50; ++round) {
    if (rng() % 3 == 0) {
      if (co_await la::move_on_after(std::chrono::microseconds(rng() % 100), e.wait()))
        ++*passes;
    } else {
      co_await e.wait();
      ++*passes;
    }
    co_await la::yield();
  }
}

la::job<void> toggler(la::event& e, unsigned seed) {
  std::minstd_rand rng{seed};
  for (int i = 0; i < 500; ++i) {
    if (rng() % 2 == 0)
      e.set();
    else
      e.clear();
    co_await la::yield();
  }
}
} // namespace

LIBACTOR_TEST_CASE_WITH(set_clear_and_is_set, config()) {
  la::event e;
  BOOST_CHECK(!e.is_set());
  auto start = la::clock::now();
  bool passed = co_await la::move_on_after(5ms, e.wait());
  BOOST_CHECK(!passed);  // not set: the wait waited until the deadline
  BOOST_CHECK(la::clock::now() == start + 5ms);

  e.set();
  BOOST_CHECK(e.is_set());
  e.set();  // idempotent
  BOOST_CHECK(e.is_set());
  start = la::clock::now();
  co_await e.wait();  // passes at once
  co_await e.wait();
  BOOST_CHECK(la::clock::now() == start);

  e.clear();
  BOOST_CHECK(!e.is_set());
  passed = co_await la::move_on_after(5ms, e.wait());
  BOOST_CHECK(!passed);  // waits again after clear()
}

LIBACTOR_TEST_CASE_WITH(set_wakes_every_waiter, config()) {
  la::event e;
  std::atomic<int> through{0};
  std::vector<la::handle<void>> hs;
  for (int i = 0; i < 5; ++i)
    hs.push_back(la::spawn(waits(e, &through)));
  co_await la::sleep(1ms);
  BOOST_CHECK_EQUAL(through.load(), 0);
  // Cleared right after being set: the waiters parked at the set() are woken all the same.
  e.set();
  e.clear();
  for (auto& h : hs)
    co_await h;
  BOOST_CHECK_EQUAL(through.load(), 5);
  BOOST_CHECK(!e.is_set());

  // A later waiter waits for the next set().
  auto late = la::spawn(waits(e, &through));
  co_await la::sleep(1ms);
  BOOST_CHECK(!late.done());
  e.set();
  co_await late;
  BOOST_CHECK_EQUAL(through.load(), 6);
}

LIBACTOR_TEST_CASE_WITH(set_from_a_plain_thread_wakes_every_waiter, config()) {
  la::event e;
  std::atomic<int> through{0};
  std::vector<la::handle<void>> hs;
  for (int i = 0; i < 5; ++i)
    hs.push_back(la::spawn(waits(e, &through)));
  co_await la::sleep(1ms);  // virtual time: the clock moved only once every waiter had parked
  BOOST_REQUIRE_EQUAL(through.load(), 0);
  std::thread setter([&e] { e.set(); });
  for (auto& h : hs)
    co_await h;
  setter.join();
  BOOST_CHECK_EQUAL(through.load(), 5);
  BOOST_CHECK(e.is_set());
}

LIBACTOR_TEST_CASE_WITH(a_waiter_cancelled_while_waiting_leaves_the_others_waiting, config()) {
  la::event e;
  std::atomic<int> through{0};
  auto w0 = la::spawn(waits(e, &through));
  auto w1 = la::spawn(waits(e, &through));
  auto w2 = la::spawn(waits(e, &through));
  co_await la::sleep(1ms);
  w1.cancel();
  bool raised = co_await is_cancelled(w1);
  BOOST_CHECK(raised);
  BOOST_CHECK(!w0.done());
  BOOST_CHECK(!w2.done());
  BOOST_CHECK(!e.is_set());
  e.set();
  co_await w0;
  co_await w2;
  BOOST_CHECK_EQUAL(through.load(), 2);
}

LIBACTOR_TEST_CASE_WITH(a_waiter_woken_and_cancelled_at_once_keeps_its_wake_up, one_worker()) {
  la::event e;
  std::atomic<bool> passed{false};
  auto w = la::spawn(waits_then_sleeps(e, &passed));
  co_await la::sleep(1ms);
  e.set();  // w is woken but cannot run before the body suspends
  w.cancel();
  bool raised = co_await is_cancelled(w);
  BOOST_CHECK(passed);  // nothing lost: the wait returned...
  BOOST_CHECK(raised);  // ...and the next suspension point raised
}

LIBACTOR_TEST_CASE_WITH(waits_cut_by_a_deadline_leave_the_event_consistent, config()) {
  la::event e;
  std::atomic<int> through{0};
  auto a = la::spawn(cut_by_move_on(e));
  auto b = la::spawn(cut_by_wait_for(e));
  auto c = la::spawn(waits(e, &through));
  bool a_passed = co_await a;
  bool b_passed = co_await b;
  BOOST_CHECK(!a_passed);
  BOOST_CHECK(!b_passed);
  BOOST_CHECK(!e.is_set());
  BOOST_CHECK(!c.done());
  e.set();  // reaches the one waiter left
  co_await c;
  BOOST_CHECK_EQUAL(through.load(), 1);
}

LIBACTOR_TEST_CASE_WITH(a_wait_that_begins_cancelled_raises_even_when_set, config()) {
  la::event e;
  std::atomic<bool> passed{false};
  auto h = la::spawn(waits_when_cancelled(e, &passed));
  co_await la::sleep(1ms);
  e.set();
  h.cancel();
  bool raised = co_await is_cancelled(h);
  BOOST_CHECK(raised);
  BOOST_CHECK(!passed);
  BOOST_CHECK(e.is_set());
}

LIBACTOR_TEST_CASE_WITH(a_race_on_four_workers_ends_with_every_waiter_through_or_cancelled,
                        (la::runtime_config{.threads = 4})) {
  auto frames = la::live_job_frames();
  la::event e;
  std::atomic<int> passes{0};
  constexpr unsigned jobs = 64;
  std::vector<la::handle<void>> hs;
  for (unsigned i = 0; i < jobs; ++i)
    hs.push_back(la::spawn(racing_waiter(e, &passes, i + 1)));
  auto toggling = la::spawn(toggler(e, 7));
  co_await cancel_at_random(hs, jobs / 3, 2024);
  co_await toggling;
  e.set();  // from now on every wait passes: each waiter not cancelled runs to its end
  int cancelled = co_await count_cancelled(hs);
  BOOST_TEST_MESSAGE(passes.load() << " waits passed, " << cancelled << " jobs cancelled");
  BOOST_CHECK_GT(passes.load(), 0);
  BOOST_CHECK(e.is_set());
  e.clear();
  bool passed = co_await la::move_on_after(1ms, e.wait());  // a cleared event blocks again
  BOOST_CHECK(!passed);
  BOOST_CHECK_EQUAL(la::live_job_frames(), frames);
}
