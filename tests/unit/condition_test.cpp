// condition: wait/notify/notify_all raise usage_error without the lock; wait releases the lock
// while waiting and returns holding it; notify(n) wakes the n longest waiters (FIFO), notify_all
// the rest; wait_for(predicate) re-checks under the lock; a waiter cancelled while waiting holds the
// lock again when the cancellation reaches it and leaves the queue (a later notify reaches the
// next waiter); waits cut by move_on_after / wait_for return holding the lock; a producer/consumer
// race on 4 workers with random cancellations loses no item and keeps mutual exclusion.
#define BOOST_TEST_MODULE condition
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <atomic>
#include <random>
#include <vector>
#include "../support/sync_probes.hpp"

namespace la = libactor;
using namespace std::chrono_literals;
using namespace la::testing;

namespace {
// Virtual time: waiters park at exact instants, and after a sleep of the body every job that could
// run has run.
la::runtime_config config() { return la::runtime_config{.virtual_time = true}; }

// A lock, its condition and the state they protect.
struct monitor {
  la::lock mutex;
  la::condition changed{mutex};
  int value = 0;  // guarded by mutex
  order_log woken;  // ids of the waiters that got past wait()
};

// Sleeps `offset` (so that waiters park in the order of their offsets), waits once, records `id`
// and whether it held the lock on return.
la::job<void> waits_once(monitor& m, int id, la::clock::duration offset, std::atomic<bool>* held_after) {
  co_await la::sleep(offset);
  auto held = co_await m.mutex.scoped();
  co_await m.changed.wait();
  *held_after = m.mutex.held_by_current_job();
  m.woken.add(id);
}

// Waits until value >= target.
la::job<void> waits_for_value(monitor& m, int id, int target) {
  auto held = co_await m.mutex.scoped();
  auto reached = [&m, target] { return m.value >= target; };
  co_await m.changed.wait_for(reached);
  m.woken.add(id);
}

// Waits; when cancelled, records whether it held the lock in the catch block.
la::job<void> records_lock_on_cancel(monitor& m, std::atomic<int>* held_in_catch) {
  auto held = co_await m.mutex.scoped();
  try {
    co_await m.changed.wait();
  } catch (const la::cancelled&) {
    *held_in_catch = m.mutex.held_by_current_job() ? 1 : 0;
    throw;
  }
}

// A wait cut by a deadline: records when it returned and whether it held the lock.
la::job<void> cut_wait(monitor& m, bool use_wait_for, la::clock::time_point* returned, std::atomic<int>* held) {
  auto guard = co_await m.mutex.scoped();
  bool cut = false;
  if (use_wait_for) {
    try {
      co_await la::wait_for(m.changed.wait(), 5ms);
    } catch (const la::timeout_error&) {
      cut = true;
    }
  } else {
    cut = !co_await la::move_on_after(5ms, m.changed.wait());
  }
  *returned = la::clock::now();
  *held = (cut && m.mutex.held_by_current_job()) ? 1 : 0;
}

la::job<void> notifies_without_the_lock(monitor& m) {
  m.changed.notify();
  co_return;
}

// Takes one item (m.value counts the items); `consumed` counts the items taken.
la::job<void> consumer(monitor& m, holder_count* count, std::atomic<int>* consumed) {
  auto held = co_await m.mutex.scoped();
  auto available = [&m] { return m.value > 0; };
  co_await m.changed.wait_for(available);
  inside in{*count};
  --m.value;
  ++*consumed;  // before the next suspension point: a cancelled consumer that got here took it
  co_await la::yield();
}

la::job<void> producer(monitor& m, holder_count* count, int items, unsigned seed) {
  std::minstd_rand rng{seed};
  for (int i = 0; i < items; ++i) {
    for (unsigned y = rng() % 4; y > 0; --y)
      co_await la::yield();
    auto held = co_await m.mutex.scoped();
    inside in{*count};
    ++m.value;
    m.changed.notify(1);
  }
}
} // namespace

LIBACTOR_TEST_CASE_WITH(wait_and_notify_require_the_lock, config()) {
  monitor m;
  BOOST_CHECK(&m.changed.underlying_lock() == &m.mutex);
  BOOST_CHECK_THROW(co_await m.changed.wait(), la::usage_error);
  BOOST_CHECK_THROW(m.changed.notify(), la::usage_error);
  BOOST_CHECK_THROW(m.changed.notify_all(), la::usage_error);
  auto reached = [] { return false; };
  BOOST_CHECK_THROW(co_await m.changed.wait_for(reached), la::usage_error);
  BOOST_CHECK(!m.mutex.locked());

  // Held by another job is not enough.
  co_await m.mutex.acquire();
  BOOST_CHECK_THROW(co_await la::spawn(notifies_without_the_lock(m)), la::usage_error);
  m.changed.notify();  // with the lock and nobody waiting: nothing happens
  m.changed.notify_all();
  m.mutex.release();
}

LIBACTOR_TEST_CASE_WITH(wait_releases_the_lock_and_returns_holding_it, config()) {
  monitor m;
  std::atomic<bool> held_after{false};
  auto w = la::spawn(waits_once(m, 0, 0ms, &held_after));
  co_await la::sleep(1ms);
  BOOST_CHECK(!m.mutex.locked());  // released while waiting
  co_await m.mutex.acquire();
  m.changed.notify();
  co_await la::sleep(1ms);
  BOOST_CHECK(!w.done());  // notified, but the lock is still the body's
  m.mutex.release();
  co_await w;
  BOOST_CHECK(held_after);
  BOOST_CHECK(!m.mutex.locked());
}

LIBACTOR_TEST_CASE_WITH(notify_wakes_the_longest_waiters_first, config()) {
  monitor m;
  std::atomic<bool> held_after{false};
  std::vector<la::handle<void>> hs;
  for (int id : {4, 1, 5, 0, 3, 2})  // spawned out of order; the offsets queue them as 0..5
    hs.push_back(la::spawn(waits_once(m, id, (id + 1) * 1ms, &held_after)));
  co_await la::sleep(10ms);
  auto notify_and_settle = [](monitor& m, std::size_t n) -> la::job<void> {
    {
      auto held = co_await m.mutex.scoped();
      if (n == 0)
        m.changed.notify_all();
      else
        m.changed.notify(n);
    }
    co_await la::sleep(1ms);  // every woken waiter has taken the lock in turn and returned
  };
  co_await notify_and_settle(m, 1);
  BOOST_CHECK(m.woken.sorted() == std::vector<int>{0});
  co_await notify_and_settle(m, 1);
  BOOST_CHECK(m.woken.sorted() == (std::vector<int>{0, 1}));
  co_await notify_and_settle(m, 2);
  BOOST_CHECK(m.woken.sorted() == (std::vector<int>{0, 1, 2, 3}));
  co_await notify_and_settle(m, 0);
  BOOST_CHECK(m.woken.sorted() == (std::vector<int>{0, 1, 2, 3, 4, 5}));
  for (auto& h : hs)
    co_await h;
  BOOST_CHECK(held_after);
  BOOST_CHECK(!m.mutex.locked());
}

LIBACTOR_TEST_CASE_WITH(wait_for_rechecks_the_predicate_under_the_lock, config()) {
  monitor m;
  std::vector<la::handle<void>> hs;
  for (int target = 1; target <= 3; ++target)
    hs.push_back(la::spawn(waits_for_value(m, target, target)));
  co_await la::sleep(1ms);
  for (int step = 1; step <= 3; ++step) {
    {
      auto held = co_await m.mutex.scoped();
      ++m.value;
      m.changed.notify_all();  // everyone re-checks; only those whose predicate holds return
    }
    co_await la::sleep(1ms);
    std::vector<int> expected;
    for (int id = 1; id <= step; ++id)
      expected.push_back(id);
    BOOST_CHECK(m.woken.sorted() == expected);
  }
  for (auto& h : hs)
    co_await h;
  // A predicate that already holds returns without waiting (and without a notify).
  auto held = co_await m.mutex.scoped();
  auto reached = [&m] { return m.value == 3; };
  co_await m.changed.wait_for(reached);
  BOOST_CHECK(m.mutex.held_by_current_job());
}

LIBACTOR_TEST_CASE_WITH(a_cancelled_waiter_holds_the_lock_when_the_cancellation_reaches_it, config()) {
  monitor m;
  std::atomic<int> held_in_catch{-1};
  std::atomic<bool> held_after{false};
  auto cancelled_one = la::spawn(records_lock_on_cancel(m, &held_in_catch));
  auto next = la::spawn(waits_once(m, 1, 1ms, &held_after));
  co_await la::sleep(5ms);
  co_await m.mutex.acquire();
  cancelled_one.cancel();
  co_await la::sleep(1ms);
  BOOST_CHECK(!cancelled_one.done());  // it cannot raise before it has the lock back
  BOOST_CHECK_EQUAL(held_in_catch.load(), -1);
  m.mutex.release();
  bool raised = co_await is_cancelled(cancelled_one);
  BOOST_CHECK(raised);
  BOOST_CHECK_EQUAL(held_in_catch.load(), 1);
  BOOST_CHECK(!m.mutex.locked());  // released on the way out

  // It left the queue: one notify reaches the next waiter.
  {
    auto held = co_await m.mutex.scoped();
    m.changed.notify(1);
  }
  co_await next;
  BOOST_CHECK(m.woken.sorted() == std::vector<int>{1});
  BOOST_CHECK(!m.mutex.locked());
}

LIBACTOR_TEST_CASE_WITH(waits_cut_by_a_deadline_return_holding_the_lock, config()) {
  monitor m;
  auto start = la::clock::now();
  la::clock::time_point moved_on_at{};
  la::clock::time_point timed_out_at{};
  std::atomic<int> moved_on_held{-1};
  std::atomic<int> timed_out_held{-1};
  std::atomic<bool> held_after{false};
  auto a = la::spawn(cut_wait(m, false, &moved_on_at, &moved_on_held));
  auto b = la::spawn(cut_wait(m, true, &timed_out_at, &timed_out_held));
  auto c = la::spawn(waits_once(m, 2, 1ms, &held_after));
  co_await la::sleep(2ms);
  co_await m.mutex.acquire();  // held past both deadlines (5 ms): the cut waits must wait for it
  co_await la::sleep(6ms);
  m.mutex.release();
  co_await a;
  co_await b;
  BOOST_CHECK_EQUAL(moved_on_held.load(), 1);
  BOOST_CHECK_EQUAL(timed_out_held.load(), 1);
  BOOST_CHECK(moved_on_at == start + 8ms);  // returned only once the lock was free again
  BOOST_CHECK(timed_out_at == start + 8ms);
  BOOST_CHECK(!c.done());
  {
    auto held = co_await m.mutex.scoped();
    m.changed.notify(1);  // the cut waiters left the queue: this reaches c
  }
  co_await c;
  BOOST_CHECK(held_after);
  BOOST_CHECK(!m.mutex.locked());
}

LIBACTOR_TEST_CASE_WITH(a_producer_consumer_race_on_four_workers_loses_nothing, (la::runtime_config{.threads = 4})) {
  auto frames = la::live_job_frames();
  monitor m;
  holder_count count;
  std::atomic<int> consumed{0};
  constexpr unsigned consumers = 64;
  std::vector<la::handle<void>> hs;
  for (unsigned i = 0; i < consumers; ++i)
    hs.push_back(la::spawn(consumer(m, &count, &consumed)));
  // One item per consumer: every consumer that is not cancelled gets one.
  auto producing = la::spawn(producer(m, &count, consumers, 11));
  co_await cancel_at_random(hs, consumers / 3, 2024);
  co_await producing;
  int cancelled = co_await count_cancelled(hs);
  auto held = co_await m.mutex.scoped();
  BOOST_TEST_MESSAGE(consumed.load() << " items consumed, " << cancelled << " consumers cancelled");
  BOOST_CHECK_EQUAL(m.value + consumed.load(), static_cast<int>(consumers));  // no item lost or doubled
  BOOST_CHECK_GE(consumed.load(), static_cast<int>(consumers) - cancelled);
  BOOST_CHECK_EQUAL(count.most.load(), 1);
  BOOST_CHECK_EQUAL(count.now.load(), 0);
  held.release();
  BOOST_CHECK(!m.mutex.locked());
  BOOST_CHECK_EQUAL(la::live_job_frames(), frames);
}
