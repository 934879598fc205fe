// The runtime invariant (design §3): a job's coroutine runs only inside its own actor's turn —
// never on a foreign thread, never concurrently with itself. Many jobs sleep, yield, await children,
// receive from each other and ask a server in a loop; after every resumption each checks that
// this_job::id() is still its own (a resumption outside its turn would make this_job throw
// usage_error or report another job), and a per-job "inside" flag detects two threads in one job.
// Debug builds of libactor additionally abort on a violation (LIBACTOR_ASSERT in src).
// Virtual time (config()): the workers' sleeps cost no real time and the test runs no slower than
// in real time; every timer of a round fires at the same virtual instant, which adds contention.
#define BOOST_TEST_MODULE invariant
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <atomic>
#include <cstdint>
#include <vector>

namespace la = libactor;
using namespace std::chrono_literals;

namespace {
la::runtime_config config(unsigned threads = 0, la::scheduler_policy policy = la::scheduler_policy::work_stealing) {
  return la::runtime_config{.threads = threads, .policy = policy, .virtual_time = true};
}

constexpr int job_count = 200;
constexpr int rounds = 20;

struct token {
  int from;
  int round;
};
struct next_is {
  la::job_ref next;
};
struct req {
  int x;
};
struct stop {};

struct counters {
  std::atomic<int> wrong_id{0};
  std::atomic<int> outside_job{0};
  std::atomic<int> concurrent{0};
  std::atomic<int> bad_data{0};
  std::atomic<int> resumptions{0};
};

// Checks the invariant on entry after a resumption and marks the job as running.
void enter(counters& c, std::atomic<bool>& inside, std::uint64_t my_id) {
  c.resumptions.fetch_add(1, std::memory_order_relaxed);
  if (inside.exchange(true))
    c.concurrent.fetch_add(1);
  try {
    if (la::this_job::id() != my_id)
      c.wrong_id.fetch_add(1);
  } catch (const la::usage_error&) {
    c.outside_job.fetch_add(1);
  }
}

// Marks the job as no longer running, right before it suspends.
void leave(std::atomic<bool>& inside) { inside.store(false); }

la::job<int> small_child(counters* c, int x) {
  std::atomic<bool> inside{false};
  auto my_id = la::this_job::id();
  enter(*c, inside, my_id);
  leave(inside);
  co_await la::yield();
  enter(*c, inside, my_id);
  leave(inside);
  co_await la::sleep(0ms);
  enter(*c, inside, my_id);
  co_return x + 1;
}

// Answers requests until stopped.
la::job<void> server(counters* c) {
  std::atomic<bool> inside{false};
  auto my_id = la::this_job::id();
  enter(*c, inside, my_id);
  for (;;) {
    leave(inside);
    auto m = co_await la::receive<req, stop>();
    enter(*c, inside, my_id);
    if (m.is<stop>())
      co_return;
    m.reply(m.get<req>().x * 2);
  }
}

// One worker of the ring: each round it sleeps, yields, awaits a child, passes a token to the next
// worker and receives one from the previous, and asks the server.
la::job<int> worker(counters* c, int index, la::job_ref srv) {
  std::atomic<bool> inside{false};
  auto my_id = la::this_job::id();
  enter(*c, inside, my_id);
  leave(inside);
  auto n = co_await la::receive<next_is>();
  enter(*c, inside, my_id);
  la::job_ref next = n.value().next;
  int sum = 0;
  for (int r = 0; r < rounds; ++r) {
    leave(inside);
    co_await la::sleep(1ms);
    enter(*c, inside, my_id);

    leave(inside);
    co_await la::yield();
    enter(*c, inside, my_id);

    auto child = la::spawn(small_child(c, r));
    leave(inside);
    int v = co_await child;
    enter(*c, inside, my_id);
    if (v != r + 1)
      c->bad_data.fetch_add(1);

    next.send(token{index, r});
    leave(inside);
    auto t = co_await la::receive<token>();
    enter(*c, inside, my_id);
    if (t.value().from != (index + job_count - 1) % job_count || t.value().round != r)
      c->bad_data.fetch_add(1);

    leave(inside);
    int doubled = co_await srv.ask<int>(req{r}, 1h);
    enter(*c, inside, my_id);
    if (doubled != 2 * r)
      c->bad_data.fetch_add(1);

    leave(inside);
    int inline_v = co_await small_child(c, r);  // inline: runs in this job's turn
    // small_child checked this job's id against its own captured id, which is ours here.
    enter(*c, inside, my_id);
    sum += inline_v;
  }
  co_return sum;
}

la::job<void> ring(counters& c) {
  auto srv = la::spawn(server(&c), {.name = "server"});
  std::vector<la::handle<int>> workers;
  for (int i = 0; i < job_count; ++i)
    workers.push_back(la::spawn(worker(&c, i, srv)));
  for (int i = 0; i < job_count; ++i)
    workers[i].send(next_is{workers[(i + 1) % job_count]});
  int expected = 0;
  for (int r = 0; r < rounds; ++r)
    expected += r + 1;
  int wrong_sums = 0;
  for (auto& w : workers) {
    int s = co_await w;
    if (s != expected)
      ++wrong_sums;
  }
  srv.send(stop{});
  co_await srv;
  BOOST_CHECK_EQUAL(wrong_sums, 0);
  BOOST_CHECK_EQUAL(c.wrong_id.load(), 0);
  BOOST_CHECK_EQUAL(c.outside_job.load(), 0);
  BOOST_CHECK_EQUAL(c.concurrent.load(), 0);
  BOOST_CHECK_EQUAL(c.bad_data.load(), 0);
  // Every worker resumed at least 8 times per round (plus its children): the checks did run.
  BOOST_CHECK_GE(c.resumptions.load(), job_count * rounds * 8);
}
} // namespace

LIBACTOR_TEST_CASE_WITH(a_job_runs_only_in_its_own_turn, config()) {
  counters c;
  co_await ring(c);
}

LIBACTOR_TEST_CASE_WITH(a_job_runs_only_in_its_own_turn_with_work_sharing,
                        config(0, la::scheduler_policy::work_sharing)) {
  counters c;
  co_await ring(c);
}

// More workers than cores: threads get preempted in the middle of turns.
LIBACTOR_TEST_CASE_WITH(a_job_runs_only_in_its_own_turn_with_many_threads,
                        config(8)) {
  counters c;
  co_await ring(c);
}

LIBACTOR_TEST_CASE_WITH(a_job_runs_only_in_its_own_turn_on_one_thread, config(1)) {
  counters c;
  co_await ring(c);
}
