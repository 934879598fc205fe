#pragma once
// Probes shared by the tests of the synchronization primitives: the order in which jobs got
// through, how many held a permit at once, a bounded await for virtual-time tests, the race harness
// (random cancellations, counting the cancelled), and the jobs that every permit primitive — lock,
// semaphore, capacity_limiter: acquire(), scoped(), try_acquire() — is tested with.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <stdexcept>
#include <vector>

#include <libactor/deadline.hpp>
#include <libactor/errors.hpp>
#include <libactor/handle.hpp>
#include <libactor/job.hpp>
#include <libactor/release_guard.hpp>
#include <libactor/time.hpp>

#include "probes.hpp"

namespace libactor::testing {

/// The ids of jobs in the order they got through; safe from concurrently running jobs.
class order_log {
public:
  void add(int id) {
    std::lock_guard guard{mu_};
    ids_.push_back(id);
  }
  std::vector<int> get() {
    std::lock_guard guard{mu_};
    return ids_;
  }
  /// For jobs released together, which then run in any order.
  std::vector<int> sorted() {
    auto v = get();
    std::sort(v.begin(), v.end());
    return v;
  }

private:
  std::mutex mu_;
  std::vector<int> ids_;
};

/// How many jobs are inside a critical section now, the most seen at once, and how many entered.
struct holder_count {
  std::atomic<int> now{0};
  std::atomic<int> most{0};
  std::atomic<int> entries{0};
};

/// Counts the current job as inside while it lives.
class inside {
public:
  explicit inside(holder_count& c) : c_(c) {
    int n = ++c_.now;
    int seen = c_.most.load();
    while (n > seen && !c_.most.compare_exchange_weak(seen, n)) {
    }
    ++c_.entries;
  }
  ~inside() { --c_.now; }
  inside(const inside&) = delete;
  inside& operator=(const inside&) = delete;

private:
  holder_count& c_;
};

/// Awaits `h` for at most an hour: under virtual time, a job that would wait forever (say, for a
/// lost permit) makes the hour pass at once, and this yields false instead of hanging the test.
inline job<bool> ends(handle<void> h) { co_return co_await move_on_after(std::chrono::hours(1), h); }

/// `n` times: yields a random number of times (fewer than 32), then cancels a random job of `hs`.
inline job<void> cancel_at_random(const std::vector<handle<void>>& hs, unsigned n, unsigned seed) {
  std::minstd_rand rng{seed};
  for (unsigned i = 0; i < n; ++i) {
    for (unsigned y = rng() % 32; y > 0; --y)
      co_await yield();
    hs[rng() % hs.size()].cancel();
  }
}

/// Awaits every job of `hs`; how many ended cancelled (any other exception propagates).
inline job<int> count_cancelled(const std::vector<handle<void>>& hs) {
  int cancelled = 0;
  for (auto& h : hs) {
    bool raised = co_await is_cancelled(h);
    cancelled += static_cast<int>(raised);
  }
  co_return cancelled;
}

/// Takes a permit of `p` `rounds` times — with scoped(), under a short real-time deadline, or with
/// try_acquire() — and yields while holding it, so that cancellations also land on holders.
template <class P>
job<void> contender(P& p, holder_count* count, unsigned seed, int rounds = 100) {
  std::minstd_rand rng{seed};
  for (int round = 0; round < rounds; ++round) {
    switch (rng() % 3) {
      case 0: {
        auto held = co_await p.scoped();
        inside in{*count};
        co_await yield();
        break;
      }
      case 1: {
        auto held = co_await move_on_after(std::chrono::microseconds(rng() % 100), p.scoped());
        if (held) {
          inside in{*count};
          co_await yield();
        }
        break;
      }
      default: {
        if (!p.try_acquire()) {
          co_await yield();
          break;
        }
        release_guard<P> held{&p};
        inside in{*count};
        co_await yield();
      }
    }
  }
}

/// Sleeps `offset` (so that waiters park in the order of their offsets), takes a permit of `p`,
/// records `id`, holds the permit for `hold`, gives it back.
template <class P>
job<void> takes_in_turn(P& p, order_log* log, int id, clock::duration offset, clock::duration hold) {
  co_await sleep(offset);
  auto held = co_await p.scoped();
  log->add(id);
  co_await sleep(hold);
}

/// Holds a permit of `p` until cancelled (or for an hour).
template <class P>
job<void> holds(P& p) {
  auto held = co_await p.scoped();
  co_await sleep(std::chrono::hours(1));
}

/// Takes a permit of `p`, then fails holding it.
template <class P>
job<void> throws_holding(P& p) {
  auto held = co_await p.scoped();
  co_await yield();
  throw std::runtime_error("failed while holding a permit");
}

/// Whether this job could take a permit of `p` now (it gives it back at once).
template <class P>
job<bool> tries(P& p) {
  if (!p.try_acquire())
    co_return false;
  p.release();
  co_return true;
}

/// Releases `p` in this job, which holds nothing.
template <class P>
job<void> releases(P& p) {
  p.release();
  co_return;
}

/// After `offset`, waits for a permit under a 5 ms move_on_after; true when it got one (and gave
/// it back).
template <class P>
job<bool> cut_by_move_on(P& p, clock::duration offset) {
  co_await sleep(offset);
  auto held = co_await move_on_after(std::chrono::milliseconds(5), p.scoped());
  co_return held.has_value();
}

/// After `offset`, waits for a permit under a 5 ms wait_for; true when it got one (and gave it
/// back), false on timeout_error.
template <class P>
job<bool> cut_by_wait_for(P& p, clock::duration offset) {
  co_await sleep(offset);
  try {
    auto held = co_await wait_for(p.scoped(), std::chrono::milliseconds(5));
  } catch (const timeout_error&) {
    co_return false;
  }
  co_return true;
}

/// Swallows a cancellation, then waits for a permit: a wait that begins cancelled. `took` says
/// whether it got through.
template <class P>
job<void> acquires_when_cancelled(P& p, std::atomic<bool>* took) {
  try {
    co_await sleep(std::chrono::hours(1));
  } catch (const cancelled&) {
  }
  co_await p.acquire();
  *took = true;
}

} // namespace libactor::testing
