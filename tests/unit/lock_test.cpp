// lock: acquire/release/try_acquire and locked()/held_by_current_job(); taking it twice in one job
// and releasing it elsewhere raise usage_error (no hang); scoped() releases on exception and
// cancellation; waiters get it in FIFO order and a newcomer never overtakes them; a waiter
// cancelled while waiting, or granted and cancelled at once, never keeps it; waits cut by
// move_on_after / wait_for leave it consistent; a wait that begins cancelled takes nothing; a race
// of many jobs on 4 workers with random cancellations never breaks mutual exclusion.
#define BOOST_TEST_MODULE lock
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <atomic>
#include <stdexcept>
#include <vector>
#include "../support/sync_probes.hpp"

namespace la = libactor;
using namespace std::chrono_literals;
using namespace la::testing;

namespace {
// Virtual time: waiters park at exact instants, so their order in the queue is known.
la::runtime_config config() { return la::runtime_config{.virtual_time = true}; }
// One worker: nothing else runs until the body suspends, so a grant and a cancel land together.
la::runtime_config one_worker() { return la::runtime_config{.threads = 1, .virtual_time = true}; }

// Acquires the lock that this job already holds: true when that raised usage_error at once.
la::job<bool> acquires_again(la::lock& l) {
  try {
    co_await l.acquire();
  } catch (const la::usage_error&) {
    co_return true;
  }
  co_return false;
}
} // namespace

LIBACTOR_TEST_CASE_WITH(acquire_release_and_try_acquire, config()) {
  la::lock l;
  BOOST_CHECK(!l.locked());
  co_await l.acquire();
  BOOST_CHECK(l.locked());
  BOOST_CHECK(l.held_by_current_job());
  bool other_took = co_await la::spawn(tries(l));
  BOOST_CHECK(!other_took);  // another job cannot take it
  l.release();
  BOOST_CHECK(!l.locked());
  BOOST_CHECK(!l.held_by_current_job());
  other_took = co_await la::spawn(tries(l));
  BOOST_CHECK(other_took);

  BOOST_CHECK(l.try_acquire());
  BOOST_CHECK(l.held_by_current_job());
  BOOST_CHECK(l.locked());
  l.release();
  BOOST_CHECK(!l.locked());
}

LIBACTOR_TEST_CASE_WITH(acquiring_twice_in_one_job_raises_instead_of_hanging, config()) {
  la::lock l;
  co_await l.acquire();
  // Bounded by a deadline: a second acquire that waited would end the scope empty.
  auto raised = co_await la::move_on_after(1h, acquires_again(l));  // inline: the same job
  BOOST_CHECK(raised == std::optional<bool>(true));
  BOOST_CHECK_THROW((void)co_await l.scoped(), la::usage_error);
  BOOST_CHECK_THROW(l.try_acquire(), la::usage_error);
  BOOST_CHECK(l.held_by_current_job());  // the failed attempts did not disturb the holder
  l.release();
  BOOST_CHECK(!l.locked());
}

LIBACTOR_TEST_CASE_WITH(release_by_a_job_that_does_not_hold_it_raises, config()) {
  la::lock l;
  BOOST_CHECK_THROW(l.release(), la::usage_error);  // not held at all
  auto holder = la::spawn(holds(l));
  co_await la::sleep(1ms);
  BOOST_REQUIRE(l.locked());
  BOOST_CHECK_THROW(l.release(), la::usage_error);
  BOOST_CHECK_THROW(co_await la::spawn(releases(l)), la::usage_error);
  BOOST_CHECK(l.locked());  // still the holder's
  holder.cancel();
  bool raised = co_await is_cancelled(holder);
  BOOST_CHECK(raised);
  BOOST_CHECK(!l.locked());
}

LIBACTOR_TEST_CASE_WITH(scoped_releases_on_exception_and_cancellation, config()) {
  la::lock l;
  BOOST_CHECK_THROW(co_await la::spawn(throws_holding(l)), std::runtime_error);
  BOOST_CHECK(!l.locked());

  auto holder = la::spawn(holds(l));
  co_await la::sleep(1ms);
  BOOST_CHECK(l.locked());
  holder.cancel();
  bool raised = co_await is_cancelled(holder);
  BOOST_CHECK(raised);
  BOOST_CHECK(!l.locked());

  // An explicit release() is final: the guard's destructor does not release a second time.
  {
    auto held = co_await l.scoped();
    BOOST_CHECK(held.owns());
    held.release();
    BOOST_CHECK(!held.owns());
    BOOST_CHECK(!l.locked());
    BOOST_CHECK(l.try_acquire());  // taken again, outside the guard
  }
  BOOST_CHECK(l.held_by_current_job());
  l.release();
}

LIBACTOR_TEST_CASE_WITH(waiters_get_the_lock_in_fifo_order, config()) {
  la::lock l;
  order_log log;
  co_await l.acquire();
  auto start = la::clock::now();
  // Spawned out of order; the offsets make them queue as 0, 1, 2, 3, 4.
  std::vector<la::handle<void>> hs;
  for (int id : {3, 0, 4, 2, 1})
    hs.push_back(la::spawn(takes_in_turn(l, &log, id, (id + 1) * 1ms, 1ms)));
  co_await la::sleep(10ms);
  l.release();
  BOOST_CHECK(l.locked());          // handed straight to the longest waiter
  BOOST_CHECK(!l.try_acquire());    // so the releaser cannot take it back
  // A newcomer while the waiters take turns queues behind all of them.
  hs.push_back(la::spawn(takes_in_turn(l, &log, 5, 500us, 1ms)));
  for (auto& h : hs) {
    bool ended = co_await ends(h);
    BOOST_CHECK(ended);
  }
  BOOST_CHECK(log.get() == (std::vector<int>{0, 1, 2, 3, 4, 5}));
  BOOST_CHECK(la::clock::now() == start + 16ms);  // six holders of 1 ms each, back to back
  BOOST_CHECK(!l.locked());
}

LIBACTOR_TEST_CASE_WITH(a_waiter_cancelled_while_waiting_never_holds_the_lock, config()) {
  la::lock l;
  order_log log;
  co_await l.acquire();
  auto w0 = la::spawn(takes_in_turn(l, &log, 0, 1ms, 0ms));
  auto w1 = la::spawn(takes_in_turn(l, &log, 1, 2ms, 0ms));
  auto w2 = la::spawn(takes_in_turn(l, &log, 2, 3ms, 0ms));
  co_await la::sleep(5ms);
  w1.cancel();
  bool raised = co_await is_cancelled(w1);
  BOOST_CHECK(raised);  // it ended while the body still held the lock
  BOOST_CHECK(l.held_by_current_job());
  l.release();
  bool ended0 = co_await ends(w0);
  bool ended2 = co_await ends(w2);
  BOOST_CHECK(ended0);
  BOOST_CHECK(ended2);
  BOOST_CHECK(log.get() == (std::vector<int>{0, 2}));
  BOOST_CHECK(!l.locked());
}

LIBACTOR_TEST_CASE_WITH(a_waiter_granted_and_cancelled_at_once_passes_the_lock_on, one_worker()) {
  la::lock l;
  order_log log;
  co_await l.acquire();
  auto w0 = la::spawn(takes_in_turn(l, &log, 0, 1ms, 0ms));
  auto w1 = la::spawn(takes_in_turn(l, &log, 1, 2ms, 0ms));
  co_await la::sleep(5ms);
  l.release();  // granted to w0, which cannot run before the body suspends
  w0.cancel();
  bool raised = co_await is_cancelled(w0);
  BOOST_CHECK(raised);
  bool ended = co_await ends(w1);
  BOOST_CHECK(ended);
  BOOST_CHECK(log.get() == std::vector<int>{1});  // w0 never held it
  BOOST_CHECK(!l.locked());
}

LIBACTOR_TEST_CASE_WITH(waits_cut_by_a_deadline_leave_the_lock_consistent, config()) {
  la::lock l;
  order_log log;
  co_await l.acquire();
  auto a = la::spawn(cut_by_move_on(l, 1ms));
  auto b = la::spawn(cut_by_wait_for(l, 2ms));
  auto c = la::spawn(takes_in_turn(l, &log, 2, 3ms, 0ms));
  bool a_got = co_await a;
  bool b_got = co_await b;
  BOOST_CHECK(!a_got);
  BOOST_CHECK(!b_got);
  BOOST_CHECK(l.held_by_current_job());  // the cut waiters took nothing
  l.release();  // goes to the one waiter left
  bool ended = co_await ends(c);
  BOOST_CHECK(ended);
  BOOST_CHECK(log.get() == std::vector<int>{2});
  BOOST_CHECK(!l.locked());
  BOOST_CHECK(l.try_acquire());
  l.release();
}

LIBACTOR_TEST_CASE_WITH(a_wait_that_begins_cancelled_takes_nothing, config()) {
  la::lock l;
  std::atomic<bool> took{false};
  auto h = la::spawn(acquires_when_cancelled(l, &took));
  co_await la::sleep(1ms);
  h.cancel();
  bool raised = co_await is_cancelled(h);
  BOOST_CHECK(raised);
  BOOST_CHECK(!took);
  BOOST_CHECK(!l.locked());
}

LIBACTOR_TEST_CASE_WITH(a_race_on_four_workers_keeps_mutual_exclusion, (la::runtime_config{.threads = 4})) {
  auto frames = la::live_job_frames();
  la::lock l;
  holder_count count;
  constexpr unsigned jobs = 64;
  std::vector<la::handle<void>> hs;
  for (unsigned i = 0; i < jobs; ++i)
    hs.push_back(la::spawn(contender(l, &count, i + 1)));
  co_await cancel_at_random(hs, jobs / 3, 2024);
  int cancelled = co_await count_cancelled(hs);
  BOOST_TEST_MESSAGE(count.entries.load() << " critical sections, " << cancelled << " jobs cancelled");
  BOOST_CHECK_EQUAL(count.most.load(), 1);
  BOOST_CHECK_EQUAL(count.now.load(), 0);
  BOOST_CHECK_GT(count.entries.load(), 0);
  BOOST_CHECK(!l.locked());
  BOOST_CHECK(l.try_acquire());  // back to its initial state: free, nobody queued
  l.release();
  BOOST_CHECK_EQUAL(la::live_job_frames(), frames);
}
