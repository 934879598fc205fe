// barrier: zero parties raise usage_error; each round releases `parties` jobs with distinct
// indices 0..n-1 in arrival order; it is reusable for several rounds; a waiter cancelled, or cut by
// move_on_after / wait_for, leaves the round (waiting() drops) and the round completes with others;
// abort() fails the waiters and every later wait with broken_barrier until reset(); reset() fails
// the current waiters and starts an empty round; a race on 4 workers with random cancellations
// completes only whole rounds and ends, after abort() and reset(), as a fresh barrier.
#define BOOST_TEST_MODULE barrier
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <random>
#include <vector>
#include "../support/sync_probes.hpp"

namespace la = libactor;
using namespace std::chrono_literals;
using namespace la::testing;

namespace {
// Virtual time: waiters arrive at exact instants, so arrival order (and each index) is known.
la::runtime_config config() { return la::runtime_config{.virtual_time = true}; }

// Arrives after `offset`; yields its index.
la::job<std::size_t> arrives(la::barrier& b, la::clock::duration offset) {
  co_await la::sleep(offset);
  co_return co_await b.wait();
}

// Waits `rounds` times; in round r it arrives after offsets[r], and records each index.
la::job<std::vector<std::size_t>> rounds_of(la::barrier& b, std::vector<la::clock::duration> offsets) {
  std::vector<std::size_t> indices;
  for (auto offset : offsets) {
    co_await la::sleep(offset);
    indices.push_back(co_await b.wait());
  }
  co_return indices;
}

// Arrives at once: true when the wait raised broken_barrier.
la::job<bool> is_broken(la::barrier& b) {
  try {
    co_await b.wait();
  } catch (const la::broken_barrier&) {
    co_return true;
  }
  co_return false;
}

// Arrives, but gives up after 5 ms: true when the deadline cut the wait.
la::job<bool> gives_up(la::barrier& b, bool use_wait_for) {
  if (!use_wait_for) {
    auto index = co_await la::move_on_after(5ms, b.wait());
    co_return !index.has_value();
  }
  try {
    co_await la::wait_for(b.wait(), 5ms);
  } catch (const la::timeout_error&) {
    co_return true;
  }
  co_return false;
}

constexpr std::size_t race_parties = 4;

// How many times each index was handed out (all equal when only whole rounds completed).
struct index_counts {
  std::array<std::atomic<int>, race_parties> of{};
};

// Waits up to 20 times, sometimes with a short (real-time) deadline; a broken barrier ends it.
la::job<void> racing_party(la::barrier& b, index_counts* counts, unsigned seed) {
  std::minstd_rand rng{seed};
  try {
    for (int round = 0; round < 20; ++round) {
      if (rng() % 4 == 0) {
        auto index = co_await la::move_on_after(std::chrono::microseconds(rng() % 200), b.wait());
        if (index)
          ++counts->of.at(*index);
      } else {
        auto index = co_await b.wait();
        ++counts->of.at(index);  // before any suspension: a waiter cancelled once released keeps its index
      }
      co_await la::yield();
    }
  } catch (const la::broken_barrier&) {
  }
}
} // namespace

LIBACTOR_TEST_CASE_WITH(a_barrier_needs_a_party, config()) {
  BOOST_CHECK_THROW(la::barrier{0}, la::usage_error);
  la::barrier b{3};
  BOOST_CHECK_EQUAL(b.parties(), 3u);
  BOOST_CHECK_EQUAL(b.waiting(), 0u);
  BOOST_CHECK(!b.broken());
  la::barrier alone{1};
  auto index = co_await alone.wait();  // one party: every wait completes a round at once
  BOOST_CHECK_EQUAL(index, 0u);
  index = co_await alone.wait();
  BOOST_CHECK_EQUAL(index, 0u);
}

LIBACTOR_TEST_CASE_WITH(indices_are_distinct_and_follow_arrival_order, config()) {
  la::barrier b{4};
  std::vector<la::handle<std::size_t>> hs;
  std::vector<int> arrival = {2, 0, 3, 1};  // job i arrives arrival[i]-th
  for (int a : arrival)
    hs.push_back(la::spawn(arrives(b, (a + 1) * 1ms)));
  co_await la::sleep(3ms + 500us);
  BOOST_CHECK_EQUAL(b.waiting(), 3u);  // the fourth has not arrived yet
  for (std::size_t i = 0; i < hs.size(); ++i) {
    auto index = co_await hs[i];
    BOOST_CHECK_EQUAL(index, static_cast<std::size_t>(arrival[i]));
  }
  BOOST_CHECK_EQUAL(b.waiting(), 0u);
}

LIBACTOR_TEST_CASE_WITH(reusable_for_several_rounds, config()) {
  la::barrier b{3};
  // Round r: job j arrives ((j + r) % 3)-th, so each round has another order.
  std::vector<la::handle<std::vector<std::size_t>>> hs;
  for (int j = 0; j < 3; ++j) {
    std::vector<la::clock::duration> offsets;
    for (int r = 0; r < 4; ++r)
      offsets.push_back(((j + r) % 3 + 1) * 1ms);
    hs.push_back(la::spawn(rounds_of(b, offsets)));
  }
  for (int j = 0; j < 3; ++j) {
    auto indices = co_await hs[j];
    BOOST_REQUIRE_EQUAL(indices.size(), 4u);
    for (int r = 0; r < 4; ++r)
      BOOST_CHECK_EQUAL(indices[r], static_cast<std::size_t>((j + r) % 3));
  }
  BOOST_CHECK_EQUAL(b.waiting(), 0u);
  BOOST_CHECK(!b.broken());
}

LIBACTOR_TEST_CASE_WITH(a_cancelled_waiter_leaves_the_round, config()) {
  la::barrier b{3};
  auto leaving = la::spawn(arrives(b, 1ms));
  auto first = la::spawn(arrives(b, 2ms));
  co_await la::sleep(5ms);
  BOOST_CHECK_EQUAL(b.waiting(), 2u);
  leaving.cancel();
  bool raised = co_await is_cancelled(leaving);
  BOOST_CHECK(raised);
  BOOST_CHECK_EQUAL(b.waiting(), 1u);
  // Two more arrive: the round completes with three parties and indices 0..2.
  auto second = la::spawn(arrives(b, 1ms));
  auto third = la::spawn(arrives(b, 2ms));
  auto i0 = co_await first;
  auto i1 = co_await second;
  auto i2 = co_await third;
  BOOST_CHECK_EQUAL(i0, 0u);
  BOOST_CHECK_EQUAL(i1, 1u);
  BOOST_CHECK_EQUAL(i2, 2u);
  BOOST_CHECK_EQUAL(b.waiting(), 0u);
}

LIBACTOR_TEST_CASE_WITH(waiters_cut_by_a_deadline_leave_the_round, config()) {
  la::barrier b{3};
  auto moved_on = la::spawn(gives_up(b, false));
  auto timed_out = la::spawn(gives_up(b, true));
  co_await la::sleep(1ms);
  BOOST_CHECK_EQUAL(b.waiting(), 2u);
  bool cut_a = co_await moved_on;
  bool cut_b = co_await timed_out;
  BOOST_CHECK(cut_a);
  BOOST_CHECK(cut_b);
  BOOST_CHECK_EQUAL(b.waiting(), 0u);
  // Had they stayed, the first newcomer would have completed a round; three are needed now.
  std::vector<la::handle<std::size_t>> hs;
  for (int i = 0; i < 3; ++i)
    hs.push_back(la::spawn(arrives(b, (i + 1) * 1ms)));
  co_await la::sleep(2ms + 500us);
  BOOST_CHECK_EQUAL(b.waiting(), 2u);
  for (std::size_t i = 0; i < hs.size(); ++i) {
    auto index = co_await hs[i];
    BOOST_CHECK_EQUAL(index, i);
  }
}

LIBACTOR_TEST_CASE_WITH(abort_breaks_the_barrier_until_reset, config()) {
  la::barrier b{3};
  auto w0 = la::spawn(is_broken(b));
  auto w1 = la::spawn(is_broken(b));
  co_await la::sleep(1ms);
  BOOST_CHECK_EQUAL(b.waiting(), 2u);
  b.abort();
  BOOST_CHECK(b.broken());
  BOOST_CHECK_EQUAL(b.waiting(), 0u);
  bool broke0 = co_await w0;
  bool broke1 = co_await w1;
  BOOST_CHECK(broke0);
  BOOST_CHECK(broke1);
  BOOST_CHECK_THROW(co_await b.wait(), la::broken_barrier);  // later waits fail at once
  BOOST_CHECK(b.broken());

  b.reset();
  BOOST_CHECK(!b.broken());
  std::vector<la::handle<std::size_t>> hs;
  for (int i = 0; i < 3; ++i)
    hs.push_back(la::spawn(arrives(b, (i + 1) * 1ms)));
  for (std::size_t i = 0; i < hs.size(); ++i) {
    auto index = co_await hs[i];
    BOOST_CHECK_EQUAL(index, i);
  }
}

LIBACTOR_TEST_CASE_WITH(reset_fails_the_waiters_and_starts_an_empty_round, config()) {
  la::barrier b{2};
  auto w = la::spawn(is_broken(b));
  co_await la::sleep(1ms);
  BOOST_CHECK_EQUAL(b.waiting(), 1u);
  b.reset();
  bool broke = co_await w;
  BOOST_CHECK(broke);
  BOOST_CHECK(!b.broken());
  BOOST_CHECK_EQUAL(b.waiting(), 0u);
  // The failed waiter does not count towards the new round.
  auto x = la::spawn(arrives(b, 1ms));
  auto y = la::spawn(arrives(b, 2ms));
  auto ix = co_await x;
  auto iy = co_await y;
  BOOST_CHECK_EQUAL(ix, 0u);
  BOOST_CHECK_EQUAL(iy, 1u);
}

LIBACTOR_TEST_CASE_WITH(a_race_on_four_workers_completes_only_whole_rounds, (la::runtime_config{.threads = 4})) {
  auto frames = la::live_job_frames();
  la::barrier b{race_parties};
  index_counts counts;
  constexpr unsigned jobs = 64;
  std::vector<la::handle<void>> hs;
  for (unsigned i = 0; i < jobs; ++i)
    hs.push_back(la::spawn(racing_party(b, &counts, i + 1)));
  co_await cancel_at_random(hs, jobs / 3, 2024);
  // Wait until every job has ended or is parked (fewer than `parties` left waiting), then free
  // the ones left over. A waiter that leaves on its deadline just then meets the broken barrier
  // at its next wait.
  auto settled = [&] {
    std::size_t done = 0;
    for (auto& h : hs)
      done += h.done() ? 1 : 0;
    return done + b.waiting() == jobs;
  };
  bool quiet = false;
  for (int spins = 0; spins < 10'000'000 && !quiet; ++spins) {
    quiet = settled();  // read once: it can turn false again while a waiter leaves
    if (!quiet)
      co_await la::yield();
  }
  BOOST_REQUIRE(quiet);
  BOOST_CHECK_LT(b.waiting(), race_parties);
  b.abort();
  int cancelled = co_await count_cancelled(hs);
  BOOST_TEST_MESSAGE(counts.of[0].load() << " rounds completed, " << cancelled << " jobs cancelled");
  BOOST_CHECK_GT(counts.of[0].load(), 0);
  for (std::size_t i = 1; i < race_parties; ++i)
    BOOST_CHECK_EQUAL(counts.of[i].load(), counts.of[0].load());  // each round handed out 0..3 once
  BOOST_CHECK_EQUAL(b.waiting(), 0u);
  b.reset();
  BOOST_CHECK(!b.broken());
  // Back to its initial state: a fresh round of `parties` jobs.
  std::vector<la::handle<std::size_t>> fresh;
  for (std::size_t i = 0; i < race_parties; ++i)
    fresh.push_back(la::spawn(arrives(b, 0ms)));
  std::vector<bool> seen(race_parties, false);
  for (auto& h : fresh) {
    auto index = co_await h;
    BOOST_REQUIRE_LT(index, race_parties);
    seen[index] = true;
  }
  BOOST_CHECK(std::find(seen.begin(), seen.end(), false) == seen.end());
  BOOST_CHECK_EQUAL(la::live_job_frames(), frames);
}
