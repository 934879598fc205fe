// queue under real concurrency: many producers and consumers on four worker threads, consumers
// and producers cancelled while a plain thread puts or gets, and close/shutdown racing with both.
// Afterwards every item put was received exactly once or is still in the queue (as multisets).
#define BOOST_TEST_MODULE queue_race
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <atomic>
#include <optional>
#include <random>
#include <thread>
#include <vector>
#include "../support/probes.hpp"

namespace la = libactor;
using namespace std::chrono_literals;
using la::testing::is_cancelled;
using la::testing::take_all;

namespace {
// Jobs on four workers at once, in real time, for the races.
la::runtime_config four_threads() { return la::runtime_config{.threads = 4}; }
// How long a race test waits for a job before reporting a hang (real time; normally milliseconds).
constexpr auto patience = 60s;

} // namespace

// ---- many threads --------------------------------------------------------------------------------

namespace {
la::job<void> produce(la::queue<int>* q, int first, int count) {
  for (int i = 0; i < count; ++i)
    co_await q->put(first + i);
}

la::job<std::vector<int>> consume_all(la::queue<int>* q) {
  std::vector<int> got;
  // With the declaration: g++ 12.2 compiles a plain `while (co_await q->next())` into a coroutine
  // whose body never runs.
  while (auto x = co_await q->next())
    got.push_back(*x);
  co_return got;
}

// Puts first, first+1, ... until the queue closes; returns how many puts succeeded. Counts in
// `*late` the puts that succeeded although the queue was closed before they began.
la::job<int> produce_until_closed(la::queue<int>* q, int first, int count, std::atomic<int>* late) {
  int n = 0;
  try {
    for (; n < count; ++n) {
      bool closed_before = q->closed();
      co_await q->put(first + n);
      if (closed_before)
        ++*late;
    }
  } catch (const la::queue_closed&) {
  }
  co_return n;
}

// Checks that `received` (what each consumer got, in order) plus `rest` hold every value of
// [p*stride, p*stride + sent[p]) exactly once and nothing else, and that each consumer saw each
// producer's items in the order they were put.
void check_exactly_once(const std::vector<std::vector<int>>& received, const std::vector<int>& rest,
                        const std::vector<int>& sent, int stride) {
  std::vector<int> count(sent.size() * stride, 0);
  bool in_range = true;
  bool in_order = true;
  for (auto& got : received) {
    std::vector<int> last(sent.size(), -1);
    for (int x : got) {
      in_range = in_range && x >= 0 && x < static_cast<int>(count.size());
      if (!in_range)
        break;
      ++count[x];
      in_order = in_order && x > last[x / stride];
      last[x / stride] = x;
    }
  }
  for (int x : rest) {
    in_range = in_range && x >= 0 && x < static_cast<int>(count.size());
    if (in_range)
      ++count[x];
  }
  BOOST_REQUIRE(in_range);
  BOOST_CHECK(in_order);
  int wrong = 0;
  for (std::size_t x = 0; x < count.size(); ++x)
    wrong += count[x] != (static_cast<int>(x % stride) < sent[x / stride] ? 1 : 0);
  BOOST_CHECK_EQUAL(wrong, 0);
}
} // namespace

LIBACTOR_TEST_CASE_WITH(many_producers_and_consumers_on_four_threads, four_threads()) {
  constexpr int producers = 8;
  constexpr int per_producer = 5000;
  la::queue<int> q{4};  // small: producers and consumers wait all the time
  std::vector<la::handle<std::vector<int>>> consumers;
  for (int c = 0; c < 8; ++c)
    consumers.push_back(la::spawn(consume_all(&q)));
  std::vector<la::handle<void>> ps;
  for (int p = 0; p < producers; ++p)
    ps.push_back(la::spawn(produce(&q, p * per_producer, per_producer)));
  for (auto& p : ps)
    co_await la::wait_for(p, patience);
  q.close();
  std::vector<std::vector<int>> received;
  long long sum = 0;
  for (auto& c : consumers) {
    received.push_back(co_await la::wait_for(c, patience));
    for (int x : received.back())
      sum += x;
  }
  check_exactly_once(received, {}, std::vector<int>(producers, per_producer), per_producer);
  constexpr long long total = producers * per_producer;
  BOOST_CHECK_EQUAL(sum, total * (total - 1) / 2);
  BOOST_CHECK_EQUAL(q.unfinished(), static_cast<std::size_t>(total));
}

namespace {
// Takes items until cancelled, recording each one received.
la::job<void> consume_until_cancelled(la::queue<int>* q, std::vector<int>* got) {
  for (;;)
    got->push_back(co_await q->get());
}

// Puts 0, 1, ... until cancelled; `*delivered` counts the puts that returned.
la::job<void> produce_until_cancelled(la::queue<int>* q, int* delivered) {
  for (int i = 0; i < 1'000'000; ++i) {
    co_await q->put(i);
    *delivered = i + 1;
  }
}

la::job<void> yields(int n) {
  for (int i = 0; i < n; ++i)
    co_await la::yield();
}

// Yields until `*count` reaches `n` (bounded): items are flowing when the race begins.
la::job<void> yields_until(const std::atomic<int>* count, int n) {
  for (int i = 0; i < 100'000 && count->load() < n; ++i)
    co_await la::yield();
}
} // namespace

// Consumers are cancelled while a plain thread keeps putting: an item handed to a consumer at the
// moment it is cancelled is still returned to it; nothing is lost or received twice.
LIBACTOR_TEST_CASE_WITH(cancelling_consumers_races_with_puts_from_a_thread, four_threads()) {
  for (int round = 0; round < 200; ++round) {
    la::queue<int> q{1};
    std::vector<int> a;
    std::vector<int> b;
    std::atomic<bool> stop{false};
    std::atomic<int> sent{0};
    auto ca = la::spawn(consume_until_cancelled(&q, &a));
    auto cb = la::spawn(consume_until_cancelled(&q, &b));
    std::thread producer([&q, &stop, &sent] {
      for (int i = 0; i < 1'000'000 && !stop.load();) {
        if (q.try_put(i))
          sent = ++i;  // try_put never waits: a plain thread can use it
        else
          std::this_thread::yield();
      }
    });
    co_await yields_until(&sent, 1 + round % 32);
    ca.cancel();
    co_await yields(round % 7);
    cb.cancel();
    bool a_cancelled = co_await la::wait_for(is_cancelled(ca), patience);
    bool b_cancelled = co_await la::wait_for(is_cancelled(cb), patience);
    stop = true;
    producer.join();
    BOOST_CHECK(a_cancelled && b_cancelled);
    check_exactly_once({a, b}, take_all<int>(q), {sent.load()}, 1'000'000);
  }
}

// A producer is cancelled while a plain thread keeps getting: a put either returned (its item is
// delivered) or raised (it is not); received + remaining is exactly 0 .. delivered-1, in order.
LIBACTOR_TEST_CASE_WITH(cancelling_a_producer_races_with_gets_from_a_thread, four_threads()) {
  for (int round = 0; round < 200; ++round) {
    la::queue<int> q{1};
    int delivered = 0;
    std::vector<int> received;
    std::atomic<int> taken{0};
    std::atomic<bool> stop{false};
    auto producer = la::spawn(produce_until_cancelled(&q, &delivered));
    std::thread consumer([&q, &stop, &received, &taken] {
      while (!stop.load()) {
        if (auto x = q.try_get()) {
          received.push_back(*x);
          ++taken;
        } else {
          std::this_thread::yield();
        }
      }
    });
    co_await yields_until(&taken, 1 + round % 32);
    producer.cancel();
    bool cancelled = co_await la::wait_for(is_cancelled(producer), patience);
    stop = true;
    consumer.join();
    BOOST_CHECK(cancelled);
    auto rest = take_all<int>(q);
    received.insert(received.end(), rest.begin(), rest.end());
    std::vector<int> expected(delivered);
    for (int i = 0; i < delivered; ++i)
      expected[i] = i;
    BOOST_CHECK(received == expected);
  }
}

// Producers and consumers on four threads while another job closes (or shuts down) the queue at a
// pseudo-random point: every item whose put succeeded is received exactly once or returned by
// shutdown, and every job ends.
LIBACTOR_TEST_CASE_WITH(close_races_with_producers_and_consumers, four_threads()) {
  constexpr int producers = 4;
  constexpr int per_producer = 1000;
  std::minstd_rand rng{42};
  std::atomic<int> late{0};
  for (int round = 0; round < 60; ++round) {
    la::queue<int> q{4};
    std::vector<la::handle<std::vector<int>>> consumers;
    std::vector<la::handle<int>> ps;
    for (int c = 0; c < 4; ++c)
      consumers.push_back(la::spawn(consume_all(&q)));
    for (int p = 0; p < producers; ++p)
      ps.push_back(la::spawn(produce_until_closed(&q, p * per_producer, per_producer, &late)));
    bool immediate = round % 2 == 1;
    std::vector<int> removed;
    auto closer = la::spawn([](la::queue<int>* q, int n, bool immediate, std::vector<int>* removed) -> la::job<void> {
      co_await yields(n);
      if (immediate)
        *removed = q->shutdown(la::shutdown_mode::immediate);
      else
        q->close();
    }(&q, static_cast<int>(rng() % 300), immediate, &removed));
    co_await la::wait_for(closer, patience);
    std::vector<int> sent;
    for (auto& p : ps)
      sent.push_back(co_await la::wait_for(p, patience));
    std::vector<std::vector<int>> received;
    for (auto& c : consumers)
      received.push_back(co_await la::wait_for(c, patience));
    check_exactly_once(received, removed, sent, per_producer);
    BOOST_CHECK(q.empty());
  }
  BOOST_CHECK_EQUAL(late.load(), 0);
}
