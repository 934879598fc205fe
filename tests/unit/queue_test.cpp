// queue, lifo_queue, priority_queue: capacity choices (bounded with backpressure, 0 = rendezvous,
// unbounded); FIFO / LIFO / priority order (smallest first by default, custom comparator, equal
// priorities in insertion order); try_put/try_get (never wait, refused items left intact, usable
// outside jobs; awaiting outside a job is a usage_error); close() drains, shutdown(immediate)
// returns the items and fails every waiter; task_done()/join(); fairness among waiting consumers
// and producers; cancellation and deadlines never lose or duplicate an item; the races are in
// queue_race_test.cpp.
#define BOOST_TEST_MODULE queue
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <atomic>
#include <coroutine>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include "../support/probes.hpp"

namespace la = libactor;
using namespace std::chrono_literals;
using la::testing::is_cancelled;
using la::testing::take_all;

namespace {
// Virtual time: a job that waits on a queue is idle, so after the body's sleep every job spawned
// before it has run until it waits — waits begin in a known order, and times are exact.
la::runtime_config virtual_time() { return la::runtime_config{.virtual_time = true}; }
// One worker as well: a job woken by the body cannot run before the body suspends.
la::runtime_config one_worker() { return la::runtime_config{.threads = 1, .virtual_time = true}; }

la::job<int> gets_after(la::queue<int>* q, la::clock::duration delay) {
  co_await la::sleep(delay);
  co_return co_await q->get();
}

la::job<void> puts_after(la::queue<int>* q, la::clock::duration delay, int v) {
  co_await la::sleep(delay);
  co_await q->put(v);
}

template <class Q, class T>
la::job<void> put_all(Q* q, std::vector<T> items) {
  for (auto& item : items)
    co_await q->put(item);
}

template <class T, class Q>
la::job<std::vector<T>> get_n(Q* q, std::size_t n) {
  std::vector<T> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(co_await q->get());
  co_return out;
}

// Puts `v`; false when the queue was closed (the item is then not delivered).
la::job<bool> put_or_closed(la::queue<int>* q, int v) {
  try {
    co_await q->put(v);
    co_return true;
  } catch (const la::queue_closed&) {
    co_return false;
  }
}

// True when get failed with queue_closed.
la::job<bool> get_fails_closed(la::queue<int>* q) {
  try {
    (void)co_await q->get();
  } catch (const la::queue_closed&) {
    co_return true;
  }
  co_return false;
}

la::job<std::optional<int>> next_of(la::queue<int>* q) { co_return co_await q->next(); }

la::job<la::clock::time_point> joined_at(la::queue<int>* q) {
  co_await q->join();
  co_return la::clock::now();
}

// A coroutine that is not a libactor job, to await a queue outside any job.
struct plain_coroutine {
  struct promise_type {
    plain_coroutine get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
};

plain_coroutine awaits_outside_a_job(la::queue<int>* q, int* usage_errors) {
  try {
    (void)co_await q->get();
  } catch (const la::usage_error&) {
    ++*usage_errors;
  }
  try {
    co_await q->put(2);
  } catch (const la::usage_error&) {
    ++*usage_errors;
  }
  try {
    co_await q->join();
  } catch (const la::usage_error&) {
    ++*usage_errors;
  }
}

// A priority with an identity: only `priority` orders it (std::greater uses operator>).
struct prioritized {
  int priority;
  int id;
  friend bool operator>(const prioritized& a, const prioritized& b) { return a.priority > b.priority; }
};

// The longest string first; strings of equal length compare equal.
struct shorter {
  bool operator()(const std::string& a, const std::string& b) const { return a.size() < b.size(); }
};
} // namespace

// ---- capacity choices ----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(constructor_choices) {
  la::queue<int> bounded{3};
  BOOST_CHECK_EQUAL(bounded.capacity(), 3u);
  BOOST_CHECK(bounded.empty());
  BOOST_CHECK(!bounded.full());
  BOOST_CHECK(!bounded.closed());
  BOOST_CHECK_EQUAL(bounded.unfinished(), 0u);
  la::queue<int> rendezvous{0};
  BOOST_CHECK_EQUAL(rendezvous.capacity(), 0u);
  BOOST_CHECK(rendezvous.full());  // no room: a put waits for a get
  la::queue<int> open{la::unbounded};
  BOOST_CHECK_EQUAL(open.capacity(), std::numeric_limits<std::size_t>::max());
  BOOST_CHECK(!open.full());
  la::lifo_queue<int> lifo{2};
  la::priority_queue<int> prio{la::unbounded};
  la::priority_queue<std::string, shorter> custom{4};
  BOOST_CHECK_EQUAL(lifo.capacity(), 2u);
  BOOST_CHECK_EQUAL(prio.capacity(), std::numeric_limits<std::size_t>::max());
  BOOST_CHECK_EQUAL(custom.capacity(), 4u);
}

// Backpressure, with one worker so that the order of events is exact: the producer fills the
// queue, then each put returns only after a get made room.
LIBACTOR_TEST_CASE_WITH(bounded_put_waits_while_full, one_worker()) {
  la::queue<int> q{2};
  std::vector<std::string> log;
  auto producer = la::spawn([](la::queue<int>* q, std::vector<std::string>* log) -> la::job<void> {
    for (int i = 0; i < 5; ++i) {
      co_await q->put(i);
      log->push_back("put " + std::to_string(i));
    }
  }(&q, &log));
  co_await la::sleep(1ms);
  BOOST_CHECK(q.full());
  BOOST_CHECK(!producer.done());
  for (int i = 0; i < 5; ++i) {
    int x = co_await q.get();
    log.push_back("got " + std::to_string(x));
    if (i == 0) {
      // The waiting producer's item took the freed slot at once: a later try_put cannot barge in.
      BOOST_CHECK_EQUAL(q.size(), 2u);
      BOOST_CHECK(!q.try_put(99));
    }
    co_await la::sleep(1ms);
  }
  co_await producer;
  std::vector<std::string> expected{"put 0", "put 1", "got 0", "put 2", "got 1",
                                    "put 3", "got 2", "put 4", "got 3", "got 4"};
  BOOST_CHECK_EQUAL_COLLECTIONS(log.begin(), log.end(), expected.begin(), expected.end());
}

LIBACTOR_TEST_CASE_WITH(get_waits_while_empty, virtual_time()) {
  la::queue<int> q{2};
  auto t0 = la::clock::now();
  auto consumer = la::spawn(gets_after(&q, 0ms));
  co_await la::sleep(5ms);
  BOOST_CHECK(!consumer.done());
  co_await q.put(7);
  BOOST_CHECK(q.empty());  // handed straight to the waiting consumer
  int got = co_await consumer;
  BOOST_CHECK_EQUAL(got, 7);
  BOOST_CHECK(la::clock::now() == t0 + 5ms);
}

LIBACTOR_TEST_CASE_WITH(capacity_zero_is_a_rendezvous, virtual_time()) {
  la::queue<int> q{0};
  BOOST_CHECK(!q.try_put(1));  // nobody waits to take it
  auto producer = la::spawn(puts_after(&q, 0ms, 1));
  co_await la::sleep(1ms);
  BOOST_CHECK(!producer.done());  // put waits for a get
  BOOST_CHECK_EQUAL(q.size(), 0u);
  BOOST_CHECK_EQUAL(q.unfinished(), 0u);
  BOOST_CHECK(q.try_get() == 1);  // taken straight from the waiting producer
  co_await producer;
  auto consumer = la::spawn(gets_after(&q, 0ms));
  co_await la::sleep(1ms);
  BOOST_CHECK(q.try_put(2));  // handed straight to the waiting consumer
  int got = co_await consumer;
  BOOST_CHECK_EQUAL(got, 2);
  BOOST_CHECK_EQUAL(q.size(), 0u);
  BOOST_CHECK_EQUAL(q.unfinished(), 2u);
}

LIBACTOR_TEST_CASE_WITH(unbounded_put_never_waits, virtual_time()) {
  la::queue<int> q{la::unbounded};
  std::vector<int> items(10000);
  for (int i = 0; i < 10000; ++i)
    items[i] = i;
  auto t0 = la::clock::now();
  // Nobody gets: a put that waited would be cut by the deadline.
  bool finished = co_await la::move_on_after(1s, put_all(&q, items));
  BOOST_CHECK(finished);
  BOOST_CHECK(la::clock::now() == t0);
  BOOST_CHECK_EQUAL(q.size(), 10000u);
  BOOST_CHECK(!q.full());
  BOOST_CHECK(q.try_put(10000));
}

// ---- order ---------------------------------------------------------------------------------------

LIBACTOR_TEST_CASE(queue_is_first_in_first_out) {
  la::queue<int> q{5};
  std::vector<int> items{3, 1, 4, 1, 5};  // named: g++ 12 rejects a braced list in co_await
  co_await put_all(&q, items);
  auto got = co_await get_n<int>(&q, 5);
  BOOST_CHECK(got == (std::vector<int>{3, 1, 4, 1, 5}));
}

LIBACTOR_TEST_CASE(lifo_queue_is_last_in_first_out) {
  la::lifo_queue<int> q{5};
  std::vector<int> items{3, 1, 4, 1, 5};  // named: g++ 12 rejects a braced list in co_await
  co_await put_all(&q, items);
  auto got = co_await get_n<int>(&q, 5);
  BOOST_CHECK(got == (std::vector<int>{5, 1, 4, 1, 3}));
}

LIBACTOR_TEST_CASE(priority_queue_serves_the_smallest_first_and_ties_in_insertion_order) {
  la::priority_queue<prioritized> q{la::unbounded};
  std::vector<prioritized> items{{2, 0}, {1, 1}, {2, 2}, {1, 3}, {0, 4}, {1, 5}, {2, 6}};
  co_await put_all(&q, items);
  auto got = co_await get_n<prioritized>(&q, items.size());
  std::vector<int> ids;
  for (auto& x : got)
    ids.push_back(x.id);
  BOOST_CHECK(ids == (std::vector<int>{4, 1, 3, 5, 0, 2, 6}));
}

LIBACTOR_TEST_CASE(priority_queue_with_a_custom_comparator) {
  la::priority_queue<std::string, shorter> q{la::unbounded};
  std::vector<std::string> items{"bb", "a", "ccc", "dd", "e", "fff", "a string beyond the small buffer"};
  co_await put_all(&q, items);
  auto got = co_await get_n<std::string>(&q, items.size());
  BOOST_CHECK(got == (std::vector<std::string>{"a string beyond the small buffer", "ccc", "fff", "bb", "dd",
                                               "a", "e"}));
}

LIBACTOR_TEST_CASE(move_only_items_pass_through_put_and_get) {
  la::queue<std::unique_ptr<int>> q{2};
  co_await q.put(std::make_unique<int>(1));
  auto p = std::make_unique<int>(2);
  co_await q.put(std::move(p));
  auto a = co_await q.get();
  auto b = co_await q.get();
  BOOST_REQUIRE(a && b);
  BOOST_CHECK_EQUAL(*a, 1);
  BOOST_CHECK_EQUAL(*b, 2);
}

// ---- try_put / try_get, outside jobs -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(try_operations_never_wait_and_work_outside_jobs) {
  la::queue<int> q{2};
  BOOST_CHECK(!q.try_get());
  BOOST_CHECK(q.try_put(1));
  const int two = 2;
  BOOST_CHECK(q.try_put(two));
  BOOST_CHECK(!q.try_put(3));  // full
  BOOST_CHECK(q.full());
  BOOST_CHECK_EQUAL(q.size(), 2u);
  BOOST_CHECK_EQUAL(q.unfinished(), 2u);
  BOOST_CHECK(q.try_get() == 1);
  q.close();
  BOOST_CHECK(q.closed());
  BOOST_CHECK_THROW(q.try_put(4), la::queue_closed);
  BOOST_CHECK(q.try_get() == 2);  // closed, but items are still drained
  BOOST_CHECK_THROW(q.try_get(), la::queue_closed);
}

BOOST_AUTO_TEST_CASE(a_refused_try_put_leaves_the_item_intact) {
  la::queue<std::unique_ptr<int>> q{1};
  auto first = std::make_unique<int>(1);
  BOOST_CHECK(q.try_put(std::move(first)));
  BOOST_CHECK(!first);  // moved from: accepted
  auto second = std::make_unique<int>(2);
  BOOST_CHECK(!q.try_put(std::move(second)));  // full
  BOOST_REQUIRE(second);
  BOOST_CHECK_EQUAL(*second, 2);
  q.close();
  BOOST_CHECK_THROW(q.try_put(std::move(second)), la::queue_closed);
  BOOST_REQUIRE(second);
  BOOST_CHECK_EQUAL(*second, 2);

  la::queue<std::string> s{1};
  const std::string copied = "a string beyond the small buffer, copied";
  BOOST_CHECK(s.try_put(copied));
  std::string refused = "a string beyond the small buffer, refused";
  BOOST_CHECK(!s.try_put(std::move(refused)));
  BOOST_CHECK_EQUAL(refused, "a string beyond the small buffer, refused");
  BOOST_CHECK(s.try_get() == copied);
}

BOOST_AUTO_TEST_CASE(awaiting_outside_a_job_is_a_usage_error) {
  la::queue<int> q{2};
  BOOST_REQUIRE(q.try_put(1));
  int usage_errors = 0;
  awaits_outside_a_job(&q, &usage_errors);
  BOOST_CHECK_EQUAL(usage_errors, 3);
  BOOST_CHECK(q.try_get() == 1);  // nothing was taken or added
  BOOST_CHECK(!q.try_get());
}

// A plain thread's try_put wakes a job waiting in get.
LIBACTOR_TEST_CASE_WITH(try_put_from_a_plain_thread_wakes_a_waiting_job, virtual_time()) {
  la::queue<int> q{1};
  auto consumer = la::spawn(gets_after(&q, 0ms));
  co_await la::sleep(1ms);
  bool accepted = false;
  std::thread t([&q, &accepted] { accepted = q.try_put(5); });
  t.join();  // the body's turn holds the virtual clock meanwhile
  BOOST_CHECK(accepted);
  BOOST_CHECK(q.empty());
  int got = co_await consumer;
  BOOST_CHECK_EQUAL(got, 5);
}

// ---- close and shutdown --------------------------------------------------------------------------

LIBACTOR_TEST_CASE_WITH(close_fails_producers_and_lets_consumers_drain, virtual_time()) {
  la::queue<int> q{2};
  co_await q.put(0);
  co_await q.put(1);
  auto p1 = la::spawn(put_or_closed(&q, 2));
  auto p2 = la::spawn(put_or_closed(&q, 3));
  co_await la::sleep(1ms);
  q.close();
  bool put1 = co_await p1;
  bool put2 = co_await p2;
  BOOST_CHECK(!put1);
  BOOST_CHECK(!put2);
  BOOST_CHECK_EQUAL(q.size(), 2u);  // their items were not delivered
  BOOST_CHECK_EQUAL(q.unfinished(), 2u);
  int a = co_await q.get();
  auto b = co_await q.next();
  BOOST_CHECK_EQUAL(a, 0);
  BOOST_CHECK(b == 1);
  auto end = co_await q.next();
  BOOST_CHECK(!end);
  bool get_failed = co_await get_fails_closed(&q);
  BOOST_CHECK(get_failed);
  bool late_put = co_await put_or_closed(&q, 4);  // room, but closed
  BOOST_CHECK(!late_put);
  BOOST_CHECK(q.empty());
}

LIBACTOR_TEST_CASE_WITH(close_fails_waiting_consumers, virtual_time()) {
  la::queue<int> q{2};
  auto getter = la::spawn(get_fails_closed(&q));
  auto iterator = la::spawn(next_of(&q));
  co_await la::sleep(1ms);
  BOOST_CHECK(!getter.done());
  q.close();
  bool failed = co_await getter;
  auto ended = co_await iterator;
  BOOST_CHECK(failed);
  BOOST_CHECK(!ended);
}

LIBACTOR_TEST_CASE_WITH(immediate_shutdown_returns_the_items_and_fails_every_waiter, virtual_time()) {
  la::queue<int> q{2};
  co_await q.put(10);
  co_await q.put(11);
  auto producer = la::spawn(put_or_closed(&q, 12));
  auto joiner = la::spawn(joined_at(&q));
  la::queue<int> idle{2};
  auto consumer = la::spawn(get_fails_closed(&idle));
  co_await la::sleep(1ms);
  BOOST_CHECK(!joiner.done());
  auto removed = q.shutdown(la::shutdown_mode::immediate);
  BOOST_CHECK(removed == (std::vector<int>{10, 11}));
  BOOST_CHECK(q.closed());
  BOOST_CHECK(q.empty());
  bool put = co_await producer;
  BOOST_CHECK(!put);  // 12 is neither queued nor returned: its put failed
  co_await joiner;    // the removed items no longer count as unfinished
  BOOST_CHECK_EQUAL(q.unfinished(), 0u);
  bool get_failed = co_await get_fails_closed(&q);
  BOOST_CHECK(get_failed);
  BOOST_CHECK(idle.shutdown(la::shutdown_mode::immediate).empty());
  bool consumer_failed = co_await consumer;
  BOOST_CHECK(consumer_failed);
}

// ---- task_done / join ----------------------------------------------------------------------------

LIBACTOR_TEST_CASE_WITH(join_waits_until_every_item_is_done, virtual_time()) {
  la::queue<int> q{la::unbounded};
  auto t0 = la::clock::now();
  co_await q.join();  // nothing unfinished: at once
  std::vector<int> items{1, 2, 3};
  co_await put_all(&q, items);
  auto joiner = la::spawn(joined_at(&q));
  for (int i = 0; i < 3; ++i) {
    (void)co_await q.get();
    co_await la::sleep(1ms);  // taken is not done: join still waits
    q.task_done();
  }
  auto done_at = co_await joiner;
  BOOST_CHECK(done_at == t0 + 3ms);
  BOOST_CHECK_EQUAL(q.unfinished(), 0u);
}

BOOST_AUTO_TEST_CASE(task_done_more_often_than_puts_is_a_usage_error) {
  la::queue<int> q{1};
  BOOST_CHECK_THROW(q.task_done(), la::usage_error);
  BOOST_REQUIRE(q.try_put(1));
  BOOST_REQUIRE(q.try_get());
  q.task_done();
  BOOST_CHECK_THROW(q.task_done(), la::usage_error);
  BOOST_CHECK_EQUAL(q.unfinished(), 0u);
}

// ---- fairness ------------------------------------------------------------------------------------

// Consumer k starts waiting k-th (spawned in the reverse order) and receives item k.
LIBACTOR_TEST_CASE_WITH(waiting_consumers_are_served_in_arrival_order, virtual_time()) {
  la::queue<int> q{10};
  std::vector<la::handle<int>> consumers(6);
  for (int k = 5; k >= 0; --k)
    consumers[k] = la::spawn(gets_after(&q, (k + 1) * 1ms));
  co_await la::sleep(10ms);
  for (int i = 0; i < 6; ++i) {
    co_await q.put(i);
    BOOST_CHECK(!q.try_get());  // no barging: the item went to a waiting consumer
  }
  for (int k = 0; k < 6; ++k) {
    int got = co_await consumers[k];
    BOOST_CHECK_EQUAL(got, k);
  }
}

// Producer k starts waiting k-th on a full queue (or a rendezvous) and its item comes out k-th.
LIBACTOR_TEST_CASE_WITH(waiting_producers_are_served_in_arrival_order, virtual_time()) {
  for (std::size_t capacity : {0u, 1u}) {
    la::queue<int> q{capacity};
    std::vector<int> expected;
    if (capacity == 1) {
      BOOST_REQUIRE(q.try_put(-1));
      expected.push_back(-1);
    }
    std::vector<la::handle<void>> producers;
    for (int k = 5; k >= 0; --k)
      producers.push_back(la::spawn(puts_after(&q, (k + 1) * 1ms, k)));
    for (int k = 0; k < 6; ++k)
      expected.push_back(k);
    co_await la::sleep(10ms);
    auto got = co_await get_n<int>(&q, expected.size());
    BOOST_CHECK(got == expected);
    for (auto& p : producers)
      co_await p;
  }
}

// ---- cancellation and deadlines ------------------------------------------------------------------

LIBACTOR_TEST_CASE_WITH(a_cancelled_waiting_consumer_takes_nothing, virtual_time()) {
  auto frames = la::live_job_frames();
  la::queue<int> q{1};
  auto first = la::spawn(gets_after(&q, 1ms));
  auto second = la::spawn(gets_after(&q, 2ms));
  co_await la::sleep(5ms);
  first.cancel();
  bool first_cancelled = co_await is_cancelled(first);
  BOOST_CHECK(first_cancelled);
  co_await q.put(7);  // the cancelled consumer left the line: the next one gets it
  int got = co_await second;
  BOOST_CHECK_EQUAL(got, 7);
  auto third = la::spawn(gets_after(&q, 0ms));
  co_await la::sleep(1ms);
  third.cancel();
  bool third_cancelled = co_await is_cancelled(third);
  BOOST_CHECK(third_cancelled);
  co_await q.put(8);
  BOOST_CHECK(q.try_get() == 8);  // stored, not handed to the cancelled consumer
  BOOST_CHECK_EQUAL(la::live_job_frames(), frames);
}

LIBACTOR_TEST_CASE_WITH(a_cancelled_waiting_producer_delivers_nothing, virtual_time()) {
  for (std::size_t capacity : {0u, 1u}) {
    la::queue<int> q{capacity};
    if (capacity == 1)
      BOOST_REQUIRE(q.try_put(0));
    auto first = la::spawn(puts_after(&q, 1ms, 1));
    auto second = la::spawn(puts_after(&q, 2ms, 2));
    co_await la::sleep(5ms);
    first.cancel();
    bool first_cancelled = co_await is_cancelled(first);
    BOOST_CHECK(first_cancelled);
    BOOST_CHECK_EQUAL(q.unfinished(), capacity);
    auto got = co_await get_n<int>(&q, capacity + 1);
    BOOST_CHECK(got == (capacity == 1 ? std::vector<int>{0, 2} : std::vector<int>{2}));  // 1 never arrives
    co_await second;
    BOOST_CHECK(!q.try_get());
  }
}

// A wait that begins while the job is cancelled takes nothing and delivers nothing; try_* still work.
LIBACTOR_TEST_CASE(a_cancelled_job_neither_takes_nor_delivers) {
  la::queue<int> q{2};
  BOOST_REQUIRE(q.try_put(1));
  int raised = 0;
  auto h = la::spawn([](la::queue<int>* q, int* raised) -> la::job<void> {
    // A cancel request takes effect at the job's next suspension: this yield raises it.
    la::this_job::ref().cancel();
    try {
      co_await la::yield();
    } catch (const la::cancelled&) {
      ++*raised;
    }
    try {
      (void)co_await q->get();
    } catch (const la::cancelled&) {
      ++*raised;
    }
    try {
      co_await q->put(5);
    } catch (const la::cancelled&) {
      ++*raised;
    }
  }(&q, &raised));
  co_await h;  // it swallowed its cancellation and ended normally
  BOOST_CHECK_EQUAL(raised, 3);
  BOOST_CHECK_EQUAL(q.size(), 1u);
  BOOST_CHECK(q.try_get() == 1);
}

LIBACTOR_TEST_CASE_WITH(a_wait_cut_by_a_deadline_leaves_the_queue_intact, virtual_time()) {
  la::queue<int> q{1};
  auto t0 = la::clock::now();
  auto got = co_await la::move_on_after(5ms, q.get());
  BOOST_CHECK(!got);
  BOOST_CHECK(la::clock::now() == t0 + 5ms);
  bool timed_out = false;
  try {
    (void)co_await la::wait_for(q.get(), 5ms);
  } catch (const la::timeout_error&) {
    timed_out = true;
  }
  BOOST_CHECK(timed_out);
  co_await q.put(1);  // nobody waits any more: stored, not handed to a cut get
  BOOST_CHECK_EQUAL(q.size(), 1u);
  bool put = co_await la::move_on_after(5ms, q.put(2));  // full: cut
  BOOST_CHECK(!put);
  BOOST_CHECK(la::clock::now() == t0 + 15ms);
  BOOST_CHECK_EQUAL(q.unfinished(), 1u);
  int x = co_await q.get();
  BOOST_CHECK_EQUAL(x, 1);
  BOOST_CHECK(!q.try_get());  // 2 never arrived
}
