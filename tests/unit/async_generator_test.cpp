// async_generator: values come in order, lazily, with the body's co_awaits running inline in the
// consumer (exact virtual clock); nullopt at the end and on every later next(); the body's
// exception comes out of next() with its type; stopping early (break, an exception in the
// consumer, cancelling the consumer while the body sleeps) runs the body's RAII cleanup; aclose()
// raises generator_exit at the suspended co_yield, lets the cleanup co_await and then return or
// rethrow, finishes unstarted and finished generators, and reports a co_yield during close as
// usage_error; move-only and std::string values; generators in spawned, gathered jobs; no frame
// leaks.
#define BOOST_TEST_MODULE async_generator
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <atomic>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>
#include "../support/probes.hpp"

namespace la = libactor;
using namespace std::chrono_literals;
using la::testing::is_cancelled;
using la::testing::set_on_destroy;

namespace {
// Virtual time: the bodies' sleeps are exact and cost no real time.
la::runtime_config config() { return la::runtime_config{.virtual_time = true}; }

struct parse_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What a generator body did; owned by the test body.
struct probe {
  std::atomic<int> yielded{0};               // values handed out
  std::atomic<bool> cleaned{false};          // the body's locals were destroyed
  std::atomic<bool> past_last_yield{false};  // the body ran on after the value the consumer stopped at
  std::atomic<bool> in_sleep{false};         // the body is about to sleep for an hour
  std::atomic<bool> closing_seen{false};     // generator_exit was raised at the co_yield
  std::atomic<bool> cleanup_done{false};     // the body's suspending cleanup finished
  std::atomic<std::uint64_t> body_job{0};    // this_job::id() seen by the body
};

// 0, 1, ..., n-1, sleeping `step` before each; records the job it runs in.
la::async_generator<int> numbers(int n, la::clock::duration step, probe* p) {
  set_on_destroy guard{&p->cleaned};
  p->body_job = la::this_job::id();
  for (int i = 0; i < n; ++i) {
    co_await la::sleep(step);
    ++p->yielded;
    co_yield i;
  }
  p->past_last_yield = true;
}

la::async_generator<int> fails_after(int n) {
  for (int i = 0; i < n; ++i)
    co_yield i;
  co_await la::yield();
  throw parse_error("bad record");
}

// Yields 1, then sleeps an hour before the next value.
la::async_generator<int> sleeps_between(probe* p) {
  set_on_destroy guard{&p->cleaned};
  co_yield 1;
  p->in_sleep = true;
  co_await la::sleep(1h);
  p->past_last_yield = true;
  co_yield 2;
}

enum class on_close { rethrow, give_up, fail };

// Counts up forever; on aclose() sleeps 5 s (a cleanup that suspends), then ends as `how` says.
// A handler cannot co_await, so the handler only records the exception.
la::async_generator<int> closable(probe* p, on_close how) {
  set_on_destroy guard{&p->cleaned};
  std::exception_ptr exit;
  try {
    for (int i = 0;; ++i) {
      ++p->yielded;
      co_yield i;
    }
  } catch (const la::generator_exit&) {
    exit = std::current_exception();
    p->closing_seen = true;
  }
  co_await la::sleep(5s);
  p->cleanup_done = true;
  if (how == on_close::rethrow)
    std::rethrow_exception(exit);
  if (how == on_close::fail)
    throw parse_error("cleanup failed");
}

// Swallows generator_exit and yields again: not allowed while closing.
la::async_generator<int> yields_while_closing(probe* p) {
  set_on_destroy guard{&p->cleaned};
  try {
    co_yield 1;
  } catch (const la::generator_exit&) {
    p->closing_seen = true;
  }
  co_yield 2;
  p->past_last_yield = true;
}

la::async_generator<std::string> words() {
  std::string kept(40, 'k');  // longer than the small-string buffer: the value lives on the heap
  co_yield kept;              // an lvalue: copied out, the body's own stays intact
  // Named, not a temporary in the co_yield: see pitfall 2 of docs/coding-style.md.
  std::string verdict = kept == std::string(40, 'k') ? "intact" : "clobbered";
  co_yield verdict;
  std::string moved(50, 'm');
  co_yield std::move(moved);
}

la::async_generator<std::unique_ptr<int>> boxes(int n) {
  for (int i = 0; i < n; ++i) {
    auto box = std::make_unique<int>(i * i);
    co_await la::yield();
    co_yield std::move(box);
  }
}

// Consumes two values, then breaks out of the loop: the generator is destroyed mid-way.
la::job<int> takes_two(probe* p) {
  int sum = 0;
  auto gen = numbers(100, 1ms, p);
  while (auto v = co_await gen.next()) {
    sum += *v;
    if (*v == 1)
      break;
  }
  co_return sum;
}

la::job<void> consumer_throws_at(int stop, probe* p) {
  auto gen = numbers(100, 1ms, p);
  while (auto v = co_await gen.next()) {
    if (*v == stop)
      throw std::runtime_error("consumer gave up");
  }
}

// What the consumer saw when the cancellation came out of next().
struct cancel_seen {
  std::atomic<int> first{-1};
  std::atomic<bool> raised{false};
  std::atomic<bool> cleaned_when_raised{false};
};

la::job<void> consumes_sleeper(probe* p, cancel_seen* seen) {
  auto gen = sleeps_between(p);
  auto first = co_await gen.next();
  seen->first = first.value_or(-1);
  try {
    co_await gen.next();
  } catch (const la::cancelled&) {
    seen->raised = true;
    seen->cleaned_when_raised = p->cleaned.load();  // the body unwound before next() raised
    throw;
  }
}

la::job<int> sum_of(int n, probe* p) {
  auto gen = numbers(n, 10ms, p);
  int sum = 0;
  while (auto v = co_await gen.next())
    sum += *v;
  co_return sum;
}

// Polls with yield() (bounded) until `flag` is set by a concurrently running job.
la::job<bool> until(const std::atomic<bool>* flag) {
  for (int i = 0; i < 100'000 && !flag->load(); ++i)
    co_await la::yield();
  co_return flag->load();
}
} // namespace

LIBACTOR_TEST_CASE_WITH(values_come_in_order_lazily_and_inline, config()) {
  probe p;
  auto t0 = la::clock::now();
  auto gen = numbers(3, 100ms, &p);
  BOOST_CHECK_EQUAL(p.body_job.load(), 0u);  // lazy: nothing ran yet
  BOOST_CHECK(!gen.done());
  auto a = co_await gen.next();
  BOOST_REQUIRE(a.has_value());
  BOOST_CHECK_EQUAL(*a, 0);
  BOOST_CHECK(la::clock::now() == t0 + 100ms);
  BOOST_CHECK_EQUAL(p.body_job.load(), la::this_job::id());  // the body runs in the consumer
  co_await la::sleep(1s);  // the body does not run ahead while the consumer is busy elsewhere
  BOOST_CHECK_EQUAL(p.yielded.load(), 1);
  auto b = co_await gen.next();
  BOOST_CHECK(b == std::optional<int>(1));
  BOOST_CHECK(la::clock::now() == t0 + 1s + 200ms);
  auto c = co_await gen.next();
  BOOST_CHECK(c == std::optional<int>(2));
  BOOST_CHECK(la::clock::now() == t0 + 1s + 300ms);
  BOOST_CHECK(!p.past_last_yield.load());
  BOOST_CHECK(!(co_await gen.next()).has_value());
  BOOST_CHECK(p.past_last_yield.load());
  BOOST_CHECK(p.cleaned.load());  // the body returned: its locals are gone
  BOOST_CHECK(gen.done());
  for (int i = 0; i < 3; ++i)
    BOOST_CHECK(!(co_await gen.next()).has_value());
  BOOST_CHECK(la::clock::now() == t0 + 1s + 300ms);
}

LIBACTOR_TEST_CASE_WITH(an_exception_from_the_body_comes_out_of_next_with_its_type, config()) {
  auto gen = fails_after(2);
  BOOST_CHECK(co_await gen.next() == std::optional<int>(0));
  BOOST_CHECK(co_await gen.next() == std::optional<int>(1));
  std::string what;
  try {
    co_await gen.next();
  } catch (const parse_error& e) {
    what = e.what();
  }
  BOOST_CHECK_EQUAL(what, "bad record");
  BOOST_CHECK(gen.done());
  BOOST_CHECK(!(co_await gen.next()).has_value());  // raised once, then the generator is just over
}

LIBACTOR_TEST_CASE_WITH(breaking_out_runs_the_bodys_cleanup, config()) {
  probe p;
  int sum = co_await takes_two(&p);
  BOOST_CHECK_EQUAL(sum, 1);
  BOOST_CHECK_EQUAL(p.yielded.load(), 2);
  BOOST_CHECK(p.cleaned.load());
  BOOST_CHECK(!p.past_last_yield.load());
}

LIBACTOR_TEST_CASE_WITH(an_exception_in_the_consumer_runs_the_bodys_cleanup, config()) {
  probe p;
  std::string what;
  try {
    co_await consumer_throws_at(2, &p);
  } catch (const std::runtime_error& e) {
    what = e.what();
  }
  BOOST_CHECK_EQUAL(what, "consumer gave up");
  BOOST_CHECK_EQUAL(p.yielded.load(), 3);
  BOOST_CHECK(p.cleaned.load());
}

LIBACTOR_TEST_CASE_WITH(cancelling_the_consumer_while_the_body_sleeps_raises_cancelled, config()) {
  probe p;
  cancel_seen seen;
  auto t0 = la::clock::now();
  auto h = la::spawn(consumes_sleeper(&p, &seen));
  BOOST_REQUIRE(co_await until(&p.in_sleep));
  h.cancel();
  BOOST_CHECK(co_await is_cancelled(h));
  BOOST_CHECK_EQUAL(seen.first.load(), 1);
  BOOST_CHECK(seen.raised.load());  // next() raised cancelled from the body's sleep
  BOOST_CHECK(seen.cleaned_when_raised.load());
  BOOST_CHECK(!p.past_last_yield.load());
  BOOST_CHECK(la::clock::now() == t0);  // the hour never passed
}

LIBACTOR_TEST_CASE_WITH(aclose_raises_generator_exit_and_lets_the_cleanup_suspend, config()) {
  const on_close hows[] = {on_close::rethrow, on_close::give_up};
  for (auto how : hows) {
    probe p;
    auto gen = closable(&p, how);
    BOOST_CHECK(co_await gen.next() == std::optional<int>(0));
    BOOST_CHECK(co_await gen.next() == std::optional<int>(1));
    auto t0 = la::clock::now();
    co_await gen.aclose();
    BOOST_CHECK(p.closing_seen.load());
    BOOST_CHECK(p.cleanup_done.load());
    BOOST_CHECK(la::clock::now() == t0 + 5s);  // aclose waited for the cleanup's sleep
    BOOST_CHECK(p.cleaned.load());
    BOOST_CHECK_EQUAL(p.yielded.load(), 2);
    BOOST_CHECK(gen.done());
    BOOST_CHECK(!(co_await gen.next()).has_value());
  }
}

LIBACTOR_TEST_CASE_WITH(aclose_propagates_an_exception_of_the_cleanup, config()) {
  probe p;
  auto gen = closable(&p, on_close::fail);
  BOOST_CHECK(co_await gen.next() == std::optional<int>(0));
  std::string what;
  try {
    co_await gen.aclose();
  } catch (const parse_error& e) {
    what = e.what();
  }
  BOOST_CHECK_EQUAL(what, "cleanup failed");
  BOOST_CHECK(p.cleanup_done.load());
  BOOST_CHECK(p.cleaned.load());
  BOOST_CHECK(gen.done());
}

LIBACTOR_TEST_CASE_WITH(aclose_of_an_unstarted_or_finished_generator_just_finishes_it, config()) {
  probe p;
  auto t0 = la::clock::now();
  auto unstarted = numbers(3, 1s, &p);
  co_await unstarted.aclose();
  BOOST_CHECK(unstarted.done());
  BOOST_CHECK_EQUAL(p.body_job.load(), 0u);  // the body never ran
  BOOST_CHECK(!p.cleaned.load());            // so its locals never existed
  BOOST_CHECK(!(co_await unstarted.next()).has_value());
  BOOST_CHECK(la::clock::now() == t0);

  probe q;
  auto finished = numbers(2, 1s, &q);
  while (co_await finished.next()) {
  }
  co_await finished.aclose();
  BOOST_CHECK(finished.done());
  BOOST_CHECK(q.cleaned.load());
  co_await finished.aclose();  // twice is harmless
  BOOST_CHECK(la::clock::now() == t0 + 2s);
}

LIBACTOR_TEST_CASE_WITH(yielding_while_being_closed_is_a_usage_error, config()) {
  probe p;
  auto gen = yields_while_closing(&p);
  BOOST_CHECK(co_await gen.next() == std::optional<int>(1));
  bool usage = false;
  try {
    co_await gen.aclose();
  } catch (const la::usage_error&) {
    usage = true;
  }
  BOOST_CHECK(usage);
  BOOST_CHECK(p.closing_seen.load());
  BOOST_CHECK(!p.past_last_yield.load());
  BOOST_CHECK(p.cleaned.load());
  BOOST_CHECK(gen.done());
}

LIBACTOR_TEST_CASE_WITH(strings_and_move_only_values, config()) {
  auto w = words();
  std::vector<std::string> got;
  while (auto s = co_await w.next())
    got.push_back(std::move(*s));
  BOOST_REQUIRE_EQUAL(got.size(), 3u);
  BOOST_CHECK_EQUAL(got[0], std::string(40, 'k'));
  BOOST_CHECK_EQUAL(got[1], "intact");
  BOOST_CHECK_EQUAL(got[2], std::string(50, 'm'));

  auto b = boxes(4);
  auto moved = std::move(b);  // generators are movable; the moved-from one is empty
  BOOST_CHECK(b.done());
  BOOST_CHECK(!(co_await b.next()).has_value());
  std::vector<int> squares;
  while (auto box = co_await moved.next()) {
    BOOST_REQUIRE(*box != nullptr);
    squares.push_back(**box);
  }
  BOOST_CHECK((squares == std::vector<int>{0, 1, 4, 9}));
}

LIBACTOR_TEST_CASE_WITH(generators_in_spawned_and_gathered_jobs, config()) {
  probe a, b, c, d;
  auto t0 = la::clock::now();
  auto [x, y, z] = co_await la::gather(sum_of(3, &a), sum_of(4, &b), sum_of(5, &c));
  BOOST_CHECK_EQUAL(x, 0 + 1 + 2);
  BOOST_CHECK_EQUAL(y, 0 + 1 + 2 + 3);
  BOOST_CHECK_EQUAL(z, 0 + 1 + 2 + 3 + 4);
  BOOST_CHECK(la::clock::now() == t0 + 50ms);  // concurrently: the longest, not the sum
  BOOST_CHECK(a.body_job.load() != b.body_job.load());  // each body ran in its own consumer
  BOOST_CHECK(b.body_job.load() != c.body_job.load());
  auto h = la::spawn(sum_of(6, &d));
  BOOST_CHECK_EQUAL(co_await h, 15);
  BOOST_CHECK_EQUAL(d.body_job.load(), h.id());
  BOOST_CHECK(a.cleaned.load() && b.cleaned.load() && c.cleaned.load() && d.cleaned.load());
}

LIBACTOR_TEST_CASE_WITH(no_generator_frame_leaks, config()) {
  auto before = la::live_job_frames();
  {
    probe p;
    auto gen = numbers(2, 1ms, &p);
    BOOST_CHECK(la::live_job_frames() > before);  // a generator's frame is counted
    co_await gen.next();
  }
  {
    probe p1, p2, p3, p4, p5;
    co_await takes_two(&p1);
    try {
      co_await consumer_throws_at(1, &p2);
    } catch (const std::runtime_error&) {
    }
    auto closed = closable(&p3, on_close::rethrow);
    co_await closed.next();
    co_await closed.aclose();
    auto failing = fails_after(1);
    try {
      while (co_await failing.next()) {
      }
    } catch (const parse_error&) {
    }
    cancel_seen seen;
    auto h = la::spawn(consumes_sleeper(&p4, &seen));
    co_await until(&p4.in_sleep);
    h.cancel();
    co_await is_cancelled(h);
    co_await sum_of(3, &p5);
  }
  BOOST_CHECK_EQUAL(la::live_job_frames(), before);
}
