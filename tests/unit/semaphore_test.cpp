// semaphore and bounded_semaphore: value()/waiting()/locked() through acquire, try_acquire and
// release; a bounded_semaphore released past its initial value raises usage_error; scoped()
// returns the permit on exception and cancellation; permits go to waiters in FIFO order and a
// newcomer never overtakes them; a waiter cancelled while waiting, or granted and cancelled at
// once, never keeps a permit; waits cut by move_on_after / wait_for leave it consistent; a wait
// that begins cancelled takes nothing; a release from a plain std::thread wakes a waiter; a race of
// many jobs on 4 workers with random cancellations never exceeds the limit.
#define BOOST_TEST_MODULE semaphore
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <atomic>
#include <thread>
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

// Takes a permit and keeps it (the job ends holding it).
la::job<void> keeps_one(la::semaphore& s) { co_await s.acquire(); }
} // namespace

LIBACTOR_TEST_CASE_WITH(acquire_release_value_and_locked, config()) {
  la::semaphore s{2};
  BOOST_CHECK_EQUAL(s.value(), 2u);
  BOOST_CHECK(!s.locked());
  co_await s.acquire();
  BOOST_CHECK_EQUAL(s.value(), 1u);
  BOOST_CHECK(s.try_acquire());
  BOOST_CHECK_EQUAL(s.value(), 0u);
  BOOST_CHECK(s.locked());
  BOOST_CHECK(!s.try_acquire());
  s.release();
  s.release();
  BOOST_CHECK_EQUAL(s.value(), 2u);
  // A plain semaphore may be released beyond its initial value.
  s.release();
  BOOST_CHECK_EQUAL(s.value(), 3u);
  BOOST_CHECK_EQUAL(s.waiting(), 0u);
  co_await la::spawn(keeps_one(s));  // permits are not owned: another job takes one and keeps it
  BOOST_CHECK_EQUAL(s.value(), 2u);

  la::semaphore empty{0};
  BOOST_CHECK(empty.locked());
  BOOST_CHECK(!empty.try_acquire());
}

LIBACTOR_TEST_CASE_WITH(a_bounded_semaphore_released_past_its_initial_value_raises, config()) {
  la::bounded_semaphore s{2};
  BOOST_CHECK_THROW(s.release(), la::usage_error);
  BOOST_CHECK_EQUAL(s.value(), 2u);  // unchanged by the refused release
  co_await s.acquire();
  BOOST_CHECK(s.try_acquire());
  s.release();
  s.release();
  BOOST_CHECK_EQUAL(s.value(), 2u);
  BOOST_CHECK_THROW(s.release(), la::usage_error);
  BOOST_CHECK_EQUAL(s.value(), 2u);
}

LIBACTOR_TEST_CASE_WITH(scoped_returns_the_permit_on_exception_and_cancellation, config()) {
  la::bounded_semaphore s{1};
  BOOST_CHECK_THROW(co_await la::spawn(throws_holding(s)), std::runtime_error);
  BOOST_CHECK_EQUAL(s.value(), 1u);

  auto holder = la::spawn(holds(s));
  co_await la::sleep(1ms);
  BOOST_CHECK_EQUAL(s.value(), 0u);
  holder.cancel();
  bool raised = co_await is_cancelled(holder);
  BOOST_CHECK(raised);
  BOOST_CHECK_EQUAL(s.value(), 1u);  // returned once: a second return would have raised
}

LIBACTOR_TEST_CASE_WITH(permits_go_to_waiters_in_fifo_order, config()) {
  la::semaphore s{0};
  order_log log;
  auto start = la::clock::now();
  std::vector<la::handle<void>> hs;
  for (int id : {3, 0, 4, 2, 1})  // spawned out of order; the offsets queue them as 0..4
    hs.push_back(la::spawn(takes_in_turn(s, &log, id, (id + 1) * 1ms, 1ms)));
  co_await la::sleep(10ms);
  BOOST_CHECK_EQUAL(s.waiting(), 5u);
  s.release();  // one permit, passed from holder to holder
  BOOST_CHECK_EQUAL(s.value(), 0u);   // handed straight to the longest waiter
  BOOST_CHECK_EQUAL(s.waiting(), 4u);
  BOOST_CHECK(!s.try_acquire());
  // A newcomer while the waiters take turns queues behind all of them.
  hs.push_back(la::spawn(takes_in_turn(s, &log, 5, 500us, 1ms)));
  for (auto& h : hs) {
    bool ended = co_await ends(h);
    BOOST_CHECK(ended);
  }
  BOOST_CHECK(log.get() == (std::vector<int>{0, 1, 2, 3, 4, 5}));
  BOOST_CHECK(la::clock::now() == start + 16ms);  // six holders of 1 ms each, back to back
  BOOST_CHECK_EQUAL(s.value(), 1u);
  BOOST_CHECK_EQUAL(s.waiting(), 0u);
}

LIBACTOR_TEST_CASE_WITH(a_waiter_cancelled_while_waiting_never_keeps_a_permit, config()) {
  la::bounded_semaphore s{1};
  order_log log;
  co_await s.acquire();
  auto w0 = la::spawn(takes_in_turn(s, &log, 0, 1ms, 0ms));
  auto w1 = la::spawn(takes_in_turn(s, &log, 1, 2ms, 0ms));
  auto w2 = la::spawn(takes_in_turn(s, &log, 2, 3ms, 0ms));
  co_await la::sleep(5ms);
  BOOST_CHECK_EQUAL(s.waiting(), 3u);
  w1.cancel();
  bool raised = co_await is_cancelled(w1);
  BOOST_CHECK(raised);
  BOOST_CHECK_EQUAL(s.waiting(), 2u);
  BOOST_CHECK_EQUAL(s.value(), 0u);
  s.release();
  bool ended0 = co_await ends(w0);
  bool ended2 = co_await ends(w2);
  BOOST_CHECK(ended0);
  BOOST_CHECK(ended2);
  BOOST_CHECK(log.get() == (std::vector<int>{0, 2}));
  BOOST_CHECK_EQUAL(s.value(), 1u);
  BOOST_CHECK_EQUAL(s.waiting(), 0u);
}

LIBACTOR_TEST_CASE_WITH(a_waiter_granted_and_cancelled_at_once_passes_the_permit_on, one_worker()) {
  la::bounded_semaphore s{1};
  order_log log;
  co_await s.acquire();
  auto w0 = la::spawn(takes_in_turn(s, &log, 0, 1ms, 0ms));
  auto w1 = la::spawn(takes_in_turn(s, &log, 1, 2ms, 0ms));
  co_await la::sleep(5ms);
  s.release();  // granted to w0, which cannot run before the body suspends
  w0.cancel();
  bool raised = co_await is_cancelled(w0);
  BOOST_CHECK(raised);
  bool ended = co_await ends(w1);
  BOOST_CHECK(ended);
  BOOST_CHECK(log.get() == std::vector<int>{1});  // w0 never held it
  BOOST_CHECK_EQUAL(s.value(), 1u);               // and the permit was not duplicated
  BOOST_CHECK_EQUAL(s.waiting(), 0u);
}

LIBACTOR_TEST_CASE_WITH(waits_cut_by_a_deadline_leave_the_semaphore_consistent, config()) {
  la::bounded_semaphore s{1};
  order_log log;
  co_await s.acquire();
  auto a = la::spawn(cut_by_move_on(s, 1ms));
  auto b = la::spawn(cut_by_wait_for(s, 2ms));
  auto c = la::spawn(takes_in_turn(s, &log, 2, 3ms, 0ms));
  co_await la::sleep(4ms);
  BOOST_CHECK_EQUAL(s.waiting(), 3u);
  bool a_got = co_await a;
  bool b_got = co_await b;
  BOOST_CHECK(!a_got);
  BOOST_CHECK(!b_got);
  BOOST_CHECK_EQUAL(s.waiting(), 1u);  // both cut waiters left the queue
  BOOST_CHECK_EQUAL(s.value(), 0u);
  s.release();  // goes to the one waiter left
  bool ended = co_await ends(c);
  BOOST_CHECK(ended);
  BOOST_CHECK(log.get() == std::vector<int>{2});
  BOOST_CHECK_EQUAL(s.value(), 1u);
  BOOST_CHECK_EQUAL(s.waiting(), 0u);
}

LIBACTOR_TEST_CASE_WITH(a_wait_that_begins_cancelled_takes_nothing, config()) {
  la::semaphore s{1};
  std::atomic<bool> took{false};
  auto h = la::spawn(acquires_when_cancelled(s, &took));
  co_await la::sleep(1ms);
  h.cancel();
  bool raised = co_await is_cancelled(h);
  BOOST_CHECK(raised);
  BOOST_CHECK(!took);
  BOOST_CHECK_EQUAL(s.value(), 1u);
}

LIBACTOR_TEST_CASE_WITH(a_release_from_a_plain_thread_wakes_a_waiter, config()) {
  la::semaphore s{0};
  auto waiter = la::spawn(keeps_one(s));
  co_await la::sleep(1ms);  // virtual time: the clock moved only once the waiter had parked
  BOOST_REQUIRE_EQUAL(s.waiting(), 1u);
  std::thread releaser([&s] { s.release(); });
  co_await waiter;
  releaser.join();
  BOOST_CHECK_EQUAL(s.value(), 0u);  // the waiter has the permit
  BOOST_CHECK_EQUAL(s.waiting(), 0u);
}

LIBACTOR_TEST_CASE_WITH(a_race_on_four_workers_never_exceeds_the_limit, (la::runtime_config{.threads = 4})) {
  auto frames = la::live_job_frames();
  constexpr int limit = 3;
  la::bounded_semaphore s{limit};  // an unmatched release would raise in a job and fail the test
  holder_count count;
  constexpr unsigned jobs = 64;
  std::vector<la::handle<void>> hs;
  for (unsigned i = 0; i < jobs; ++i)
    hs.push_back(la::spawn(contender(s, &count, i + 1)));
  co_await cancel_at_random(hs, jobs / 3, 2024);
  int cancelled = co_await count_cancelled(hs);
  BOOST_TEST_MESSAGE(count.entries.load() << " permits used, at most " << count.most.load() << " at once, "
                                          << cancelled << " jobs cancelled");
  BOOST_CHECK_LE(count.most.load(), limit);
  BOOST_CHECK_EQUAL(count.now.load(), 0);
  BOOST_CHECK_GT(count.entries.load(), 0);
  BOOST_CHECK_EQUAL(s.value(), static_cast<std::size_t>(limit));  // back to its initial state
  BOOST_CHECK_EQUAL(s.waiting(), 0u);
  BOOST_CHECK_EQUAL(la::live_job_frames(), frames);
}
