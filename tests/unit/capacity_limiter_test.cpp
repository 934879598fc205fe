// capacity_limiter: statistics (borrowed, total, waiting) and available_tokens through acquire,
// try_acquire and release; zero tokens raise usage_error; the same borrower cannot hold or wait for
// two tokens and only a borrower can give one back (usage_error); tokens on behalf of any object,
// given back from a plain std::thread, wake a waiter; raising the total wakes waiters at once,
// lowering it waits for returns; tokens go to waiters in FIFO order; a waiter cancelled while
// waiting, or granted and cancelled at once, never keeps a token; waits cut by move_on_after /
// wait_for leave it consistent; a wait that begins cancelled takes nothing; a race on 4 workers
// with random cancellations never lends more than the total.
#define BOOST_TEST_MODULE capacity_limiter
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
// Virtual time: waiters park at exact instants, so their order in the queue is known.
la::runtime_config config() { return la::runtime_config{.virtual_time = true}; }
// One worker: nothing else runs until the body suspends, so a grant and a cancel land together.
la::runtime_config one_worker() { return la::runtime_config{.threads = 1, .virtual_time = true}; }

bool same(const la::limiter_statistics& s, std::size_t borrowed, std::size_t total, std::size_t waiting) {
  return s.borrowed == borrowed && s.total == total && s.waiting == waiting;
}

// Borrows on behalf of `borrower`; the token stays lent after the job ends.
la::job<void> borrows_for(la::capacity_limiter& l, const void* borrower) { co_await l.acquire_on_behalf_of(borrower); }

// Gives back a token lent on behalf of `borrower` when it goes out of scope.
class lent_for {
public:
  lent_for(la::capacity_limiter& l, const void* borrower) : l_(l), borrower_(borrower) {}
  ~lent_for() { l_.release_on_behalf_of(borrower_); }
  lent_for(const lent_for&) = delete;
  lent_for& operator=(const lent_for&) = delete;

private:
  la::capacity_limiter& l_;
  const void* borrower_;
};

// Borrows on behalf of a local object `rounds` times and yields while holding the token; runs
// beside the shared contender, which borrows for the job itself.
la::job<void> borrows_on_behalf(la::capacity_limiter& l, holder_count* count, unsigned seed) {
  std::minstd_rand rng{seed};
  for (int round = 0; round < 100; ++round) {
    int request = round;
    co_await l.acquire_on_behalf_of(&request);
    lent_for token{l, &request};
    inside in{*count};
    for (unsigned y = rng() % 2; y > 0; --y)
      co_await la::yield();
  }
}
} // namespace

LIBACTOR_TEST_CASE_WITH(statistics_follow_borrowing, config()) {
  BOOST_CHECK_THROW(la::capacity_limiter{0}, la::usage_error);
  la::capacity_limiter l{2};
  BOOST_CHECK(same(l.statistics(), 0, 2, 0));
  BOOST_CHECK_EQUAL(l.available_tokens(), 2u);
  co_await l.acquire();
  BOOST_CHECK(same(l.statistics(), 1, 2, 0));
  BOOST_CHECK_EQUAL(l.borrowed_tokens(), 1u);
  BOOST_CHECK_EQUAL(l.available_tokens(), 1u);
  auto other = la::spawn(holds(l));
  co_await la::sleep(1ms);
  BOOST_CHECK(same(l.statistics(), 2, 2, 0));
  BOOST_CHECK_EQUAL(l.available_tokens(), 0u);
  bool third_got = co_await la::spawn(tries(l));
  BOOST_CHECK(!third_got);
  auto waiter = la::spawn(holds(l));
  co_await la::sleep(1ms);
  BOOST_CHECK(same(l.statistics(), 2, 2, 1));
  l.release();  // straight to the waiter
  BOOST_CHECK(same(l.statistics(), 2, 2, 0));
  BOOST_CHECK_THROW(l.set_total_tokens(0), la::usage_error);
  BOOST_CHECK_EQUAL(l.total_tokens(), 2u);
  other.cancel();
  waiter.cancel();
  co_await is_cancelled(other);
  co_await is_cancelled(waiter);
  BOOST_CHECK(same(l.statistics(), 0, 2, 0));
}

LIBACTOR_TEST_CASE_WITH(a_borrower_holds_one_token_and_only_it_gives_it_back, config()) {
  la::capacity_limiter l{3};
  BOOST_CHECK_THROW(l.release(), la::usage_error);  // borrowed nothing
  co_await l.acquire();
  BOOST_CHECK_THROW(co_await l.acquire(), la::usage_error);
  BOOST_CHECK_THROW((void)co_await l.scoped(), la::usage_error);
  BOOST_CHECK_THROW(l.try_acquire(), la::usage_error);
  BOOST_CHECK_THROW(co_await la::spawn(releases(l)), la::usage_error);  // another job has none
  int request = 0;
  int stranger = 0;
  BOOST_CHECK(l.try_acquire_on_behalf_of(&request));  // another borrower, the same job
  BOOST_CHECK_THROW(l.try_acquire_on_behalf_of(&request), la::usage_error);
  BOOST_CHECK_THROW(co_await l.acquire_on_behalf_of(&request), la::usage_error);
  BOOST_CHECK_THROW(l.release_on_behalf_of(&stranger), la::usage_error);
  BOOST_CHECK(same(l.statistics(), 2, 3, 0));  // the refused calls changed nothing

  // Waiting twice for the same borrower is refused too.
  l.set_total_tokens(2);
  auto waiting = la::spawn(borrows_for(l, &stranger));
  co_await la::sleep(1ms);
  BOOST_CHECK(same(l.statistics(), 2, 2, 1));
  BOOST_CHECK_THROW(co_await l.acquire_on_behalf_of(&stranger), la::usage_error);
  BOOST_CHECK(same(l.statistics(), 2, 2, 1));
  l.release_on_behalf_of(&request);
  co_await waiting;
  l.release();
  l.release_on_behalf_of(&stranger);
  BOOST_CHECK(same(l.statistics(), 0, 2, 0));
}

LIBACTOR_TEST_CASE_WITH(a_token_given_back_from_a_plain_thread_wakes_a_waiter, config()) {
  la::capacity_limiter l{1};
  int first = 0;
  int second = 0;
  co_await l.acquire_on_behalf_of(&first);
  auto waiter = la::spawn(borrows_for(l, &second));
  co_await la::sleep(1ms);  // virtual time: the clock moved only once the waiter had parked
  BOOST_REQUIRE(same(l.statistics(), 1, 1, 1));
  std::thread giver([&l, &first] { l.release_on_behalf_of(&first); });
  co_await waiter;
  giver.join();
  BOOST_CHECK(same(l.statistics(), 1, 1, 0));
  BOOST_CHECK(!l.try_acquire_on_behalf_of(&first));  // the token is second's now
  l.release_on_behalf_of(&second);
  BOOST_CHECK(same(l.statistics(), 0, 1, 0));
}

LIBACTOR_TEST_CASE_WITH(changing_the_total, config()) {
  la::capacity_limiter l{1};
  order_log log;
  co_await l.acquire();
  std::vector<la::handle<void>> hs;
  for (int id = 0; id < 3; ++id)
    hs.push_back(la::spawn(takes_in_turn(l, &log, id, (id + 1) * 1ms, 1h)));
  co_await la::sleep(5ms);
  BOOST_CHECK(same(l.statistics(), 1, 1, 3));
  l.set_total_tokens(3);  // two more tokens: the two longest waiters get them at once
  BOOST_CHECK(same(l.statistics(), 3, 3, 1));
  co_await la::sleep(1ms);
  BOOST_CHECK(log.sorted() == (std::vector<int>{0, 1}));

  l.set_total_tokens(1);  // lowering takes effect as tokens come back
  BOOST_CHECK(same(l.statistics(), 3, 1, 1));
  BOOST_CHECK_EQUAL(l.available_tokens(), 0u);
  l.release();
  hs[0].cancel();
  co_await is_cancelled(hs[0]);
  BOOST_CHECK(same(l.statistics(), 1, 1, 1));  // still one over: the waiter keeps waiting
  hs[1].cancel();
  co_await is_cancelled(hs[1]);
  co_await la::sleep(1ms);
  BOOST_CHECK(same(l.statistics(), 1, 1, 0));  // back under the total: the last waiter got one
  BOOST_CHECK(log.sorted() == (std::vector<int>{0, 1, 2}));
  hs[2].cancel();
  co_await is_cancelled(hs[2]);
  BOOST_CHECK(same(l.statistics(), 0, 1, 0));
}

LIBACTOR_TEST_CASE_WITH(tokens_go_to_waiters_in_fifo_order, config()) {
  la::capacity_limiter l{1};
  order_log log;
  co_await l.acquire();
  auto start = la::clock::now();
  std::vector<la::handle<void>> hs;
  for (int id : {3, 0, 4, 2, 1})  // spawned out of order; the offsets queue them as 0..4
    hs.push_back(la::spawn(takes_in_turn(l, &log, id, (id + 1) * 1ms, 1ms)));
  co_await la::sleep(10ms);
  l.release();
  BOOST_CHECK(same(l.statistics(), 1, 1, 4));  // handed straight to the longest waiter
  BOOST_CHECK(!l.try_acquire());
  hs.push_back(la::spawn(takes_in_turn(l, &log, 5, 500us, 1ms)));  // a newcomer queues last
  for (auto& h : hs) {
    bool ended = co_await ends(h);
    BOOST_CHECK(ended);
  }
  BOOST_CHECK(log.get() == (std::vector<int>{0, 1, 2, 3, 4, 5}));
  BOOST_CHECK(la::clock::now() == start + 16ms);
  BOOST_CHECK(same(l.statistics(), 0, 1, 0));
}

LIBACTOR_TEST_CASE_WITH(a_waiter_cancelled_while_waiting_never_keeps_a_token, config()) {
  la::capacity_limiter l{1};
  order_log log;
  co_await l.acquire();
  auto w0 = la::spawn(takes_in_turn(l, &log, 0, 1ms, 0ms));
  auto w1 = la::spawn(takes_in_turn(l, &log, 1, 2ms, 0ms));
  auto w2 = la::spawn(takes_in_turn(l, &log, 2, 3ms, 0ms));
  co_await la::sleep(5ms);
  w1.cancel();
  bool raised = co_await is_cancelled(w1);
  BOOST_CHECK(raised);
  BOOST_CHECK(same(l.statistics(), 1, 1, 2));
  l.release();
  bool ended0 = co_await ends(w0);
  bool ended2 = co_await ends(w2);
  BOOST_CHECK(ended0);
  BOOST_CHECK(ended2);
  BOOST_CHECK(log.get() == (std::vector<int>{0, 2}));
  BOOST_CHECK(same(l.statistics(), 0, 1, 0));
}

LIBACTOR_TEST_CASE_WITH(a_waiter_granted_and_cancelled_at_once_passes_the_token_on, one_worker()) {
  la::capacity_limiter l{1};
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
  BOOST_CHECK(same(l.statistics(), 0, 1, 0));
}

LIBACTOR_TEST_CASE_WITH(waits_cut_by_a_deadline_leave_the_limiter_consistent, config()) {
  la::capacity_limiter l{1};
  order_log log;
  co_await l.acquire();
  auto a = la::spawn(cut_by_move_on(l, 1ms));
  auto b = la::spawn(cut_by_wait_for(l, 2ms));
  auto c = la::spawn(takes_in_turn(l, &log, 2, 3ms, 0ms));
  co_await la::sleep(4ms);
  BOOST_CHECK(same(l.statistics(), 1, 1, 3));
  bool a_got = co_await a;
  bool b_got = co_await b;
  BOOST_CHECK(!a_got);
  BOOST_CHECK(!b_got);
  BOOST_CHECK(same(l.statistics(), 1, 1, 1));
  l.release();
  bool ended = co_await ends(c);
  BOOST_CHECK(ended);
  BOOST_CHECK(log.get() == std::vector<int>{2});
  BOOST_CHECK(same(l.statistics(), 0, 1, 0));
}

LIBACTOR_TEST_CASE_WITH(a_wait_that_begins_cancelled_takes_nothing, config()) {
  la::capacity_limiter l{1};
  std::atomic<bool> took{false};
  auto h = la::spawn(acquires_when_cancelled(l, &took));
  co_await la::sleep(1ms);
  h.cancel();
  bool raised = co_await is_cancelled(h);
  BOOST_CHECK(raised);
  BOOST_CHECK(!took);
  BOOST_CHECK(same(l.statistics(), 0, 1, 0));
}

LIBACTOR_TEST_CASE_WITH(a_race_on_four_workers_never_lends_more_than_the_total, (la::runtime_config{.threads = 4})) {
  auto frames = la::live_job_frames();
  constexpr int total = 3;
  la::capacity_limiter l{total};
  holder_count count;
  constexpr unsigned jobs = 64;
  std::vector<la::handle<void>> hs;
  for (unsigned i = 0; i < jobs; ++i) {
    if (i % 4 == 0)
      hs.push_back(la::spawn(borrows_on_behalf(l, &count, i + 1)));
    else
      hs.push_back(la::spawn(contender(l, &count, i + 1)));
  }
  co_await cancel_at_random(hs, jobs / 3, 2024);
  int cancelled = co_await count_cancelled(hs);
  BOOST_TEST_MESSAGE(count.entries.load() << " tokens lent, at most " << count.most.load() << " at once, "
                                          << cancelled << " jobs cancelled");
  BOOST_CHECK_LE(count.most.load(), total);
  BOOST_CHECK_EQUAL(count.now.load(), 0);
  BOOST_CHECK_GT(count.entries.load(), 0);
  BOOST_CHECK(same(l.statistics(), 0, total, 0));  // back to its initial state
  BOOST_CHECK_EQUAL(la::live_job_frames(), frames);
}
