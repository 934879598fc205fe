// to_thread / to_thread_limited / to_cpu_pool: results, void calls and exceptions (with their
// type) come back; arguments are moved in; calls run on pool threads, never on a worker, so a
// single worker keeps running jobs while a call blocks; a cancelled job resumes at once while its
// started call runs to its end (result dropped, token returned only then), and a queued call
// (behind the limiter or behind busy pool threads) never starts; the default limiter lends 40
// tokens; custom limiters; blocking_threads / cpu_threads settings; virtual time does not jump past
// a running call; wait_for cuts the wait, not the call; shutdown gives up on a blocked call after
// the grace period.
#define BOOST_TEST_MODULE to_thread
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <atomic>
#include <cstdlib>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#include "../support/probes.hpp"

namespace la = libactor;
using namespace std::chrono_literals;
using la::testing::is_cancelled;

namespace {
struct started {};  // sent by a pool thread once its call is running

struct disk_full : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct odd_failure {  // not a std::exception
  int code;
};

// A release that one side opens and calls wait on. Calls get a copy of the shared_future, so a
// call that outlives the test (shutdown) never touches freed state.
struct gate {
  std::promise<void> promise;
  std::shared_future<void> opened = promise.get_future().share();
  void open() { promise.set_value(); }
};

// The blocking call: tells `to` (if valid) that it runs, blocks until `opened`, sets `*finished`.
// True when the gate opened; the 60 s limit is only a safety net that turns a hang of a broken
// build into a failed check, never a synchronization.
bool blocks(la::job_ref to, std::shared_future<void> opened, std::shared_ptr<std::atomic<bool>> finished) {
  if (to.valid())
    to.send(started{});
  bool ok = opened.wait_for(60s) == std::future_status::ready;
  if (finished)
    finished->store(true);
  return ok;
}

// Like blocks, with a result whose memory must be freed although nobody takes it.
std::string blocks_for_text(la::job_ref to, std::shared_future<void> opened,
                            std::shared_ptr<std::atomic<bool>> finished) {
  blocks(std::move(to), std::move(opened), std::move(finished));
  return std::string(100, 'r');
}

int add(int a, int b) { return a + b; }
void store(std::atomic<int>* out, int v) { out->store(v); }
int throws_disk_full() { throw disk_full("no space left"); }
void throws_odd() { throw odd_failure{42}; }
int unbox(std::unique_ptr<int> box) { return *box + 1; }
std::size_t length_of(std::string s) { return s.size(); }
std::thread::id thread_id() { return std::this_thread::get_id(); }
bool flag_of(std::shared_ptr<std::atomic<bool>> f) { return f->load(); }
void set(std::atomic<bool>* f) { f->store(true); }

// A CPU-bound function, the kind to_cpu_pool is for.
long cpu_bound_task(long n) {
  long sum = 0;
  for (long i = 0; i < n; ++i)
    sum += (i * i) % 7;
  return sum;
}

// A move-only callable.
struct move_only_adder {
  std::unique_ptr<int> base;
  int operator()(int x) { return *base + x; }
};

la::job<bool> waits_on(la::job_ref to, std::shared_future<void> opened) {
  co_return co_await la::to_thread(blocks, std::move(to), std::move(opened), nullptr);
}

la::job<bool> waits_on_limited(la::capacity_limiter* lim, la::job_ref to, std::shared_future<void> opened,
                               std::shared_ptr<std::atomic<bool>> finished = {}) {
  co_return co_await la::to_thread_limited(*lim, blocks, std::move(to), std::move(opened), std::move(finished));
}

la::job<void> sets_on_thread(std::atomic<bool>* ran) { co_await la::to_thread(set, ran); }

la::job<void> sets_on_thread_limited(la::capacity_limiter* lim, std::atomic<bool>* ran) {
  co_await la::to_thread_limited(*lim, set, ran);
}

la::job<void> opens_later(gate* g) {
  co_await la::yield();
  g->open();
}

// Polls with yield() (bounded) until `lim` shows `borrowed` tokens lent and `waiting` borrowers.
la::job<bool> until_stats(la::capacity_limiter* lim, std::size_t borrowed, std::size_t waiting) {
  for (int i = 0; i < 100'000; ++i) {
    auto s = lim->statistics();
    if (s.borrowed == borrowed && s.waiting == waiting)
      co_return true;
    co_await la::yield();
  }
  co_return false;
}

std::shared_ptr<std::atomic<bool>> new_flag() { return std::make_shared<std::atomic<bool>>(false); }
} // namespace

LIBACTOR_TEST_CASE(results_void_calls_and_exceptions_come_back) {
  BOOST_CHECK_EQUAL(co_await la::to_thread(add, 2, 3), 5);
  std::atomic<int> out{0};
  co_await la::to_thread(store, &out, 7);
  BOOST_CHECK_EQUAL(out.load(), 7);
  std::string what;
  try {
    co_await la::to_thread(throws_disk_full);
  } catch (const disk_full& e) {
    what = e.what();
  }
  BOOST_CHECK_EQUAL(what, "no space left");
  int code = 0;
  try {
    co_await la::to_cpu_pool(throws_odd);
  } catch (const odd_failure& e) {
    code = e.code;
  }
  BOOST_CHECK_EQUAL(code, 42);
}

LIBACTOR_TEST_CASE(arguments_and_callables_are_moved_into_the_call) {
  auto box = std::make_unique<int>(41);
  BOOST_CHECK_EQUAL(co_await la::to_thread(unbox, std::move(box)), 42);
  BOOST_CHECK(box == nullptr);
  std::string text(40, 'x');  // an lvalue argument is copied: the caller's stays intact
  BOOST_CHECK_EQUAL(co_await la::to_thread(length_of, text), 40u);
  BOOST_CHECK_EQUAL(text, std::string(40, 'x'));
  move_only_adder adder{std::make_unique<int>(10)};
  BOOST_CHECK_EQUAL(co_await la::to_cpu_pool(std::move(adder), 5), 15);
  BOOST_CHECK(adder.base == nullptr);
}

// One worker: before and after the call the job runs on it; the calls ran elsewhere.
LIBACTOR_TEST_CASE_WITH(calls_run_on_pool_threads_not_on_workers, (la::runtime_config{.threads = 1})) {
  auto before = std::this_thread::get_id();
  auto blocking = co_await la::to_thread(thread_id);
  auto between = std::this_thread::get_id();
  auto cpu = co_await la::to_cpu_pool(thread_id);
  auto after = std::this_thread::get_id();
  BOOST_CHECK(blocking != before);
  BOOST_CHECK(blocking != between);
  BOOST_CHECK(cpu != between);
  BOOST_CHECK(cpu != after);
  BOOST_CHECK(cpu != blocking);  // the CPU pool is not the blocking pool
}

LIBACTOR_TEST_CASE(to_cpu_pool_computes_on_its_own_threads) {
  auto before = std::this_thread::get_id();
  long expected = cpu_bound_task(200'000);  // computed here, on a worker, to compare
  long got = co_await la::to_cpu_pool(cpu_bound_task, 200'000L);
  BOOST_CHECK_EQUAL(got, expected);
  auto there = co_await la::to_cpu_pool(thread_id);
  BOOST_CHECK(there != before);
  BOOST_CHECK(there != std::this_thread::get_id());
}

// With a single worker, a call blocked on a gate that another job opens would deadlock if it ran
// on the worker: the job that opens it could never run.
LIBACTOR_TEST_CASE_WITH(a_blocked_call_does_not_block_the_only_worker, (la::runtime_config{.threads = 1})) {
  gate g;
  auto h = la::spawn(waits_on(la::this_job::ref(), g.opened));
  co_await la::receive<started>();  // the call blocks on its pool thread; this job still runs
  co_await la::spawn(opens_later(&g));
  BOOST_CHECK(co_await h);  // opened by the other job, not by the safety net
}

// The job stops waiting at once; the started call runs to its end on its thread; the limiter's
// token comes back only then, so borrowing it again proves the call has ended.
LIBACTOR_TEST_CASE(cancelling_the_job_leaves_a_started_call_running_to_its_end) {
  la::capacity_limiter lim{1};
  gate g;
  auto finished = new_flag();
  auto call = [](la::capacity_limiter* l, la::job_ref to, std::shared_future<void> opened,
                 std::shared_ptr<std::atomic<bool>> fin) -> la::job<std::string> {
    co_return co_await la::to_thread_limited(*l, blocks_for_text, std::move(to), std::move(opened), std::move(fin));
  };
  auto h = la::spawn(call(&lim, la::this_job::ref(), g.opened, finished));
  co_await la::receive<started>();
  h.cancel();
  BOOST_CHECK(co_await is_cancelled(h));
  BOOST_CHECK(!finished->load());  // resumed while the call still blocks
  BOOST_CHECK_EQUAL(lim.statistics().borrowed, 1u);
  g.open();
  BOOST_CHECK(co_await la::to_thread_limited(lim, flag_of, finished));
  BOOST_CHECK_EQUAL(lim.statistics().borrowed, 0u);
}

// Queued behind the limiter: cancelled before it gets a token, the call never runs.
LIBACTOR_TEST_CASE(a_call_waiting_for_a_token_never_starts_once_cancelled) {
  la::capacity_limiter lim{1};
  gate g;
  std::atomic<bool> ran{false};
  auto first = la::spawn(waits_on_limited(&lim, la::this_job::ref(), g.opened));
  co_await la::receive<started>();
  auto queued = la::spawn(sets_on_thread_limited(&lim, &ran));
  BOOST_REQUIRE(co_await until_stats(&lim, 1, 1));
  queued.cancel();
  BOOST_CHECK(co_await is_cancelled(queued));
  BOOST_CHECK_EQUAL(lim.statistics().waiting, 0u);
  g.open();
  BOOST_CHECK(co_await first);
  co_await la::to_thread_limited(lim, thread_id);  // the token is free again
  BOOST_CHECK(!ran.load());
  BOOST_CHECK_EQUAL(lim.statistics().borrowed, 0u);
}

// Queued behind the only pool thread (blocking_threads = 1): submitted, holding a token of the
// default limiter, but cancelled before a thread takes it: it never runs. Pool threads take calls
// in order, so once a later call has run the cancelled one has been passed over.
LIBACTOR_TEST_CASE_WITH(a_call_queued_behind_busy_threads_never_starts_once_cancelled,
                        (la::runtime_config{.threads = 1, .blocking_threads = 1})) {
  auto& lim = la::default_thread_limiter();
  gate g;
  std::atomic<bool> ran{false};
  auto first = la::spawn(waits_on(la::this_job::ref(), g.opened));
  co_await la::receive<started>();
  auto queued = la::spawn(sets_on_thread(&ran));
  BOOST_REQUIRE(co_await until_stats(&lim, 2, 0));  // one worker: it has submitted its call
  queued.cancel();
  BOOST_CHECK(co_await is_cancelled(queued));
  auto later = la::spawn(la::to_thread(add, 1, 2));
  co_await la::yield();  // one worker: `later` has submitted its call, behind the cancelled one
  g.open();
  BOOST_CHECK(co_await first);
  BOOST_CHECK_EQUAL(co_await later, 3);
  BOOST_CHECK(!ran.load());
  BOOST_CHECK_EQUAL(lim.statistics().borrowed, 0u);
}

LIBACTOR_TEST_CASE(the_default_limiter_lends_40_tokens) {
  auto& lim = la::default_thread_limiter();
  BOOST_CHECK_EQUAL(lim.total_tokens(), 40u);
  gate g;
  std::vector<la::handle<bool>> calls;
  for (int i = 0; i < 45; ++i)
    calls.push_back(la::spawn(waits_on(la::this_job::ref(), g.opened)));
  for (int i = 0; i < 40; ++i)  // 40 calls block at the same time, each on its own thread
    co_await la::receive<started>();
  BOOST_REQUIRE(co_await until_stats(&lim, 40, 5));
  auto s = lim.statistics();
  BOOST_CHECK_EQUAL(s.total, 40u);
  g.open();
  for (int i = 0; i < 5; ++i)
    co_await la::receive<started>();
  for (auto& h : calls)
    BOOST_CHECK(co_await h);
  s = lim.statistics();
  BOOST_CHECK_EQUAL(s.borrowed, 0u);
  BOOST_CHECK_EQUAL(s.waiting, 0u);
}

LIBACTOR_TEST_CASE(to_thread_limited_borrows_from_its_own_limiter) {
  la::capacity_limiter lim{2};
  gate g;
  std::vector<la::handle<bool>> calls;
  for (int i = 0; i < 3; ++i)
    calls.push_back(la::spawn(waits_on_limited(&lim, la::this_job::ref(), g.opened)));
  co_await la::receive<started>();
  co_await la::receive<started>();
  BOOST_REQUIRE(co_await until_stats(&lim, 2, 1));
  BOOST_CHECK_EQUAL(la::default_thread_limiter().borrowed_tokens(), 0u);  // instead, not as well
  g.open();
  co_await la::receive<started>();
  for (auto& h : calls)
    BOOST_CHECK(co_await h);
  BOOST_CHECK_EQUAL(lim.borrowed_tokens(), 0u);
}

// Settings: flags and environment, invalid values, and a runtime refusing zero blocking threads.
BOOST_AUTO_TEST_CASE(blocking_and_cpu_thread_settings) {
  ::unsetenv("LIBACTOR_BLOCKING_THREADS");
  ::unsetenv("LIBACTOR_CPU_THREADS");
  auto defaults = la::parse_config(0, nullptr);
  BOOST_CHECK_EQUAL(defaults.blocking_threads, 40u);
  BOOST_CHECK_EQUAL(defaults.cpu_threads, 0u);
  const char* zero[] = {"prog", "--libactor-blocking-threads=0"};
  BOOST_CHECK_THROW(la::parse_config(2, zero), la::config_error);
  const char* flags[] = {"prog", "--libactor-blocking-threads=3", "--libactor-cpu-threads=2"};
  auto c = la::parse_config(3, flags);
  BOOST_CHECK_EQUAL(c.blocking_threads, 3u);
  BOOST_CHECK_EQUAL(c.cpu_threads, 2u);
  ::setenv("LIBACTOR_CPU_THREADS", "5", 1);
  BOOST_CHECK_EQUAL(la::parse_config(0, nullptr).cpu_threads, 5u);
  const char* cpu_flag[] = {"prog", "--libactor-cpu-threads=6"};
  BOOST_CHECK_EQUAL(la::parse_config(2, cpu_flag).cpu_threads, 6u);  // the flag wins
  ::setenv("LIBACTOR_CPU_THREADS", "many", 1);
  BOOST_CHECK_THROW(la::parse_config(0, nullptr), la::config_error);
  ::unsetenv("LIBACTOR_CPU_THREADS");
  ::setenv("LIBACTOR_BLOCKING_THREADS", "0", 1);
  BOOST_CHECK_THROW(la::parse_config(0, nullptr), la::config_error);
  ::setenv("LIBACTOR_BLOCKING_THREADS", "7", 1);
  BOOST_CHECK_EQUAL(la::parse_config(0, nullptr).blocking_threads, 7u);
  ::unsetenv("LIBACTOR_BLOCKING_THREADS");
  auto nothing = []() -> la::job<void> { co_return; };
  BOOST_CHECK_THROW(la::run(nothing(), la::runtime_config{.blocking_threads = 0}), la::config_error);
}

// cpu_threads = 1: the second call waits in the pool's FIFO until the first has returned.
LIBACTOR_TEST_CASE_WITH(one_cpu_thread_runs_calls_one_after_another,
                        (la::runtime_config{.threads = 1, .cpu_threads = 1})) {
  gate g;
  auto first_done = new_flag();
  auto blocked = [](la::job_ref to, std::shared_future<void> opened, std::shared_ptr<std::atomic<bool>> fin) -> la::job<bool> {
    co_return co_await la::to_cpu_pool(blocks, std::move(to), std::move(opened), std::move(fin));
  };
  auto checks = [](std::shared_ptr<std::atomic<bool>> fin) -> la::job<bool> {
    co_return co_await la::to_cpu_pool(flag_of, std::move(fin));
  };
  auto first = la::spawn(blocked(la::this_job::ref(), g.opened, first_done));
  co_await la::receive<started>();
  auto second = la::spawn(checks(first_done));
  co_await la::yield();  // one worker: the second call is submitted now
  g.open();
  BOOST_CHECK(co_await first);
  BOOST_CHECK(co_await second);  // it started only after the first had finished
}

// Virtual time stands still while a call runs on a pool thread, even when every job is idle and
// a timer is due in an hour.
la::job<la::clock::time_point> sleeps_an_hour(std::atomic<bool>* woke) {
  co_await la::sleep(1h);
  woke->store(true);
  co_return la::clock::now();
}

la::clock::time_point clock_after_real_work() {
  // Real work that takes real time (not a synchronization): the clock must not move meanwhile.
  std::this_thread::sleep_for(20ms);
  return la::clock::now();
}

LIBACTOR_TEST_CASE_WITH(virtual_time_does_not_jump_past_a_running_call,
                        (la::runtime_config{.threads = 1, .virtual_time = true})) {
  std::atomic<bool> woke{false};
  auto t0 = la::clock::now();
  auto sleeper = la::spawn(sleeps_an_hour(&woke));
  co_await la::yield();  // one worker: the sleeper's timer is armed
  auto seen = co_await la::to_thread(clock_after_real_work);
  BOOST_CHECK(seen == t0);
  BOOST_CHECK(la::clock::now() == t0);
  BOOST_CHECK(!woke.load());  // the call completed before the hour passed
  BOOST_CHECK(co_await sleeper == t0 + 1h);
}

// Real time: under virtual time the clock would not move while the call runs.
LIBACTOR_TEST_CASE(wait_for_cuts_the_wait_while_the_call_runs_on) {
  la::capacity_limiter lim{1};
  gate g;
  auto finished = new_flag();
  auto h = la::spawn(waits_on_limited(&lim, la::this_job::ref(), g.opened, finished));
  co_await la::receive<started>();  // the call runs (and blocks) before the deadline starts
  bool timed_out = false;
  try {
    co_await la::wait_for(h, 20ms);
  } catch (const la::timeout_error&) {
    timed_out = true;
  }
  BOOST_CHECK(timed_out);
  BOOST_CHECK(h.done());
  BOOST_CHECK(!finished->load());
  g.open();
  BOOST_CHECK(co_await la::to_thread_limited(lim, flag_of, finished));  // the token came back at its end
}

// Inline: the deadline may find the call queued or running (pool threads start lazily); either
// way the wait ends with timeout_error before the call has finished, and its token comes back.
LIBACTOR_TEST_CASE(wait_for_around_an_inline_call) {
  la::capacity_limiter lim{1};
  gate g;
  auto finished = new_flag();
  bool timed_out = false;
  try {
    co_await la::wait_for(la::to_thread_limited(lim, blocks, la::job_ref{}, g.opened, finished), 20ms);
  } catch (const la::timeout_error&) {
    timed_out = true;
  }
  BOOST_CHECK(timed_out);
  BOOST_CHECK(!finished->load());
  g.open();
  co_await la::to_thread_limited(lim, thread_id);
  BOOST_CHECK_EQUAL(lim.borrowed_tokens(), 0u);
}

// Shutdown: the waiting job is cancelled like any other; the call blocked on its thread is given
// the grace period and then left behind: run() returns while it still blocks.
la::job<void> waits_until_shutdown(la::job_ref to, std::shared_future<void> opened,
                                   std::shared_ptr<std::atomic<bool>> finished, std::atomic<bool>* cancelled) {
  try {
    co_await la::to_thread(blocks, std::move(to), std::move(opened), std::move(finished));
  } catch (const la::cancelled&) {
    cancelled->store(true);
    throw;
  }
}

la::job<void> leaves_a_blocked_call(std::shared_future<void> opened, std::shared_ptr<std::atomic<bool>> finished,
                                    std::atomic<bool>* cancelled) {
  (void)la::spawn(waits_until_shutdown(la::this_job::ref(), std::move(opened), std::move(finished), cancelled));
  co_await la::receive<started>();
}

BOOST_AUTO_TEST_CASE(shutdown_leaves_a_blocked_call_behind_after_the_grace_period) {
  gate g;
  auto finished = new_flag();
  std::atomic<bool> cancelled{false};
  int rc = la::run(leaves_a_blocked_call(g.opened, finished, &cancelled), la::runtime_config{.shutdown_grace = 50ms});
  BOOST_CHECK_EQUAL(rc, 0);
  BOOST_CHECK(cancelled.load());
  BOOST_CHECK(!finished->load());  // run() did not wait for the call
  g.open();                        // let the leftover thread end; it must not touch the dead runtime
}
