// watch: exactly one `down` per watch when the watched job ends, with its real exit reason (normal,
// failed with the original exception, cancelled, killed after its destructors ran); a watch of an
// ended job delivers at once; unwatch before the end sends nothing; the down comes after the
// job's last messages; watch racing with the end on 4 workers still gives one down per watch;
// downs are delivered during runtime shutdown; reading a down's error retrieves it; usage errors of
// everything in watch.hpp (links included).
//
// Most cases run in virtual time: a receive with a timeout then proves that *no* message is on its
// way (the clock only jumps once every job is idle), at no real cost.
#define BOOST_TEST_MODULE watch
#include <boost/test/unit_test.hpp>
#include <libactor/detail/children.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>
#include <libactor/watch.hpp>

#include <atomic>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "../support/log_capture.hpp"
#include "../support/probes.hpp"

namespace la = libactor;
using namespace std::chrono_literals;
using la::testing::log_capture;
using la::testing::set_on_destroy;

namespace {
constexpr la::runtime_config virtual_clock{.virtual_time = true};
// One worker: a spawned job cannot start before the body suspends.
constexpr la::runtime_config one_worker{.threads = 1, .virtual_time = true};
constexpr la::runtime_config four_workers{.threads = 4};

struct go {};
struct started {};
struct watching {};
struct last_words {};
struct note {
  std::uint64_t from;
  int n;
};

struct disk_full : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The test hook: tears the job's frame down at its next suspension point.
void kill(const la::job_ref& j) { la::detail::record_access::of(j).request_kill(); }

std::string reason_of(const la::down& d) { return la::to_string(d.reason()); }

bool is_disk_full(const std::exception_ptr& e, const std::string& what) {
  return la::testing::holds<disk_full>(e, what);
}

la::job<void> returns_on_go() { co_await la::receive<go>(); }

la::job<void> fails_on_go(const char* what) {
  co_await la::receive<go>();
  throw disk_full(what);
}

la::job<void> throws_cancelled_on_go() {
  co_await la::receive<go>();
  throw la::cancelled{};
}

la::job<void> sets_flag(std::atomic<bool>* ran) {
  ran->store(true);
  co_return;
}

la::job<void> nap(la::clock::duration d) { co_await la::sleep(d); }

// Tells `to` (if valid) it runs, then sleeps for an hour; `cleaned` is set by its destructors.
la::job<void> sleeper(la::job_ref to, std::atomic<bool>* cleaned) {
  set_on_destroy guard{cleaned};
  if (to.valid())
    to.send(started{});
  co_await la::sleep(1h);
}

// Like sleeper, but ignores cancellation: only a kill ends it before its hour is up.
la::job<void> stubborn(la::job_ref to, std::atomic<bool>* cleaned) {
  set_on_destroy guard{cleaned};
  to.send(started{});
  co_await la::shield(nap(1h));
}

la::job<void> says_last_words_on_go(la::job_ref to) {
  co_await la::receive<go>();
  to.send(last_words{});
}

la::job<void> chatty(la::job_ref to, int notes) {
  co_await la::receive<go>();
  for (int i = 0; i < notes; ++i)
    to.send(note{la::this_job::id(), i});
}

// Waits, without sleeping, until `j` has ended (bounded).
la::job<void> until_done(la::job_ref j) {
  for (int i = 0; i < 1'000'000 && !j.done(); ++i)
    co_await la::yield();
  BOOST_REQUIRE(j.done());
}
} // namespace

LIBACTOR_TEST_CASE_WITH(down_for_a_normal_end, virtual_clock) {
  auto h = la::spawn(returns_on_go());
  auto id = la::watch(h);
  h.send(go{});
  auto m = co_await la::receive<la::down>(1min);
  BOOST_CHECK(m.value().job() == h);
  BOOST_CHECK_EQUAL(m.value().watch_id(), id);
  BOOST_CHECK_EQUAL(reason_of(m.value()), "normal");
  BOOST_CHECK(!m.value().error());
  BOOST_CHECK(h.done());
}

LIBACTOR_TEST_CASE_WITH(down_for_a_failure_carries_the_original_exception, virtual_clock) {
  auto h = la::spawn(fails_on_go("disk 3 full"));
  auto id = la::watch(h);
  h.send(go{});
  auto m = co_await la::receive<la::down>(1min);
  BOOST_CHECK(m.value().job() == h);
  BOOST_CHECK_EQUAL(m.value().watch_id(), id);
  BOOST_CHECK_EQUAL(reason_of(m.value()), "failed");
  BOOST_CHECK(is_disk_full(m.value().error(), "disk 3 full"));
  BOOST_CHECK_THROW(co_await h, disk_full);  // the handle still has it too
}

LIBACTOR_TEST_CASE_WITH(down_for_a_cancellation_from_outside_and_a_thrown_cancelled, virtual_clock) {
  std::atomic<bool> cleaned{false};
  auto outside = la::spawn(sleeper(la::this_job::ref(), &cleaned));
  auto thrown = la::spawn(throws_cancelled_on_go());
  co_await la::receive<started>(1min);
  std::set<std::uint64_t> ids{la::watch(outside), la::watch(thrown)};
  outside.cancel();
  thrown.send(go{});
  std::set<std::uint64_t> got;
  for (int i = 0; i < 2; ++i) {
    auto m = co_await la::receive<la::down>(1min);
    got.insert(m.value().watch_id());
    BOOST_CHECK_EQUAL(reason_of(m.value()), "cancelled");
    BOOST_CHECK(!m.value().error());
  }
  BOOST_CHECK(got == ids);
  BOOST_CHECK(cleaned.load());
}

LIBACTOR_TEST_CASE_WITH(down_for_a_kill_comes_after_the_destructors_ran, virtual_clock) {
  std::atomic<bool> cleaned{false};
  auto h = la::spawn(stubborn(la::this_job::ref(), &cleaned));
  co_await la::receive<started>(1min);
  auto id = la::watch(h);
  h.cancel();  // ignored: it sleeps in a shield
  BOOST_CHECK_THROW(co_await la::receive<la::down>(1min), la::timeout_error);
  BOOST_CHECK(!cleaned.load());
  auto start = la::clock::now();
  kill(h);
  auto m = co_await la::receive<la::down>(1min);
  BOOST_CHECK_EQUAL(m.value().watch_id(), id);
  BOOST_CHECK_EQUAL(reason_of(m.value()), "killed");  // killed wins over the cancellation asked first
  BOOST_CHECK(!m.value().error());
  BOOST_CHECK(cleaned.load());
  BOOST_CHECK(h.done());
  BOOST_CHECK(la::clock::now() == start);  // torn down at once, not after its hour
}

LIBACTOR_TEST_CASE_WITH(cancelled_before_it_started_is_cancelled, one_worker) {
  std::atomic<bool> ran{false};
  auto h = la::spawn(sets_flag(&ran));
  auto id = la::watch(h);
  h.cancel();
  auto m = co_await la::receive<la::down>(1min);
  BOOST_CHECK_EQUAL(m.value().watch_id(), id);
  BOOST_CHECK_EQUAL(reason_of(m.value()), "cancelled");
  BOOST_CHECK(!ran.load());
}

LIBACTOR_TEST_CASE_WITH(a_watch_of_an_ended_job_reports_its_real_reason_at_once, virtual_clock) {
  std::atomic<bool> cleaned{false};
  auto normal = la::spawn(returns_on_go());
  auto failed = la::spawn(fails_on_go("already over"));
  auto cancelled = la::spawn(returns_on_go());
  auto killed = la::spawn(stubborn(la::this_job::ref(), &cleaned));
  co_await la::receive<started>(1min);
  normal.send(go{});
  failed.send(go{});
  cancelled.cancel();
  kill(killed);
  const la::job_ref jobs[] = {normal, failed, cancelled, killed};
  const char* reasons[] = {"normal", "failed", "cancelled", "killed"};
  for (const auto& j : jobs)
    co_await until_done(j);
  auto start = la::clock::now();
  for (int i = 0; i < 4; ++i) {
    auto id = la::watch(jobs[i]);
    auto m = co_await la::receive<la::down>(1min);
    BOOST_CHECK(m.value().job() == jobs[i]);
    BOOST_CHECK_EQUAL(m.value().watch_id(), id);
    BOOST_CHECK_EQUAL(reason_of(m.value()), reasons[i]);
    if (i == 1)
      BOOST_CHECK(is_disk_full(m.value().error(), "already over"));
  }
  BOOST_CHECK(la::clock::now() == start);  // each came at once, not at its receive's timeout
}

LIBACTOR_TEST_CASE_WITH(two_watches_give_two_downs_with_distinct_ids, virtual_clock) {
  auto h = la::spawn(returns_on_go());
  auto a = la::watch(h);
  auto b = la::watch(h);
  BOOST_CHECK_NE(a, b);
  h.send(go{});
  std::set<std::uint64_t> got;
  for (int i = 0; i < 2; ++i) {
    auto m = co_await la::receive<la::down>(1min);
    BOOST_CHECK(m.value().job() == h);
    got.insert(m.value().watch_id());
  }
  BOOST_CHECK(got == (std::set<std::uint64_t>{a, b}));
  BOOST_CHECK_THROW(co_await la::receive<la::down>(1min), la::timeout_error);  // and no third
}

LIBACTOR_TEST_CASE_WITH(unwatch_before_the_end_sends_nothing, virtual_clock) {
  auto h = la::spawn(says_last_words_on_go(la::this_job::ref()));
  auto removed = la::watch(h);
  auto kept = la::watch(h);  // the marker: its down is sent together with any down of `removed`
  BOOST_CHECK(la::unwatch(h, removed));
  BOOST_CHECK(!la::unwatch(h, removed));  // already gone
  BOOST_CHECK(!la::unwatch(h, kept + removed + 1000));  // no such watch
  h.send(go{});
  co_await la::receive<last_words>(1min);
  auto m = co_await la::receive<la::down>(1min);
  BOOST_CHECK_EQUAL(m.value().watch_id(), kept);
  BOOST_CHECK_THROW(co_await la::receive<la::down>(1min), la::timeout_error);
}

LIBACTOR_TEST_CASE_WITH(unwatch_after_the_end_is_false_and_the_down_stays, virtual_clock) {
  auto h = la::spawn(returns_on_go());
  auto id = la::watch(h);
  h.send(go{});
  co_await until_done(h);
  BOOST_CHECK(!la::unwatch(h, id));
  auto m = co_await la::receive<la::down>(1min);
  BOOST_CHECK_EQUAL(m.value().watch_id(), id);
}

LIBACTOR_TEST_CASE_WITH(the_down_comes_after_the_jobs_last_messages, four_workers) {
  constexpr int jobs = 50;
  constexpr int notes = 100;
  std::unordered_map<std::uint64_t, int> seen;  // notes seen per job id
  std::vector<la::handle<void>> hs;
  for (int i = 0; i < jobs; ++i) {
    hs.push_back(la::spawn(chatty(la::this_job::ref(), notes)));
    la::watch(hs.back());
    seen[hs.back().id()] = 0;
  }
  for (auto& h : hs)
    h.send(go{});
  int downs = 0;
  int out_of_order = 0;
  for (int i = 0; i < jobs * (notes + 1); ++i) {
    auto m = co_await la::receive<note, la::down>(30s);
    if (m.is<note>()) {
      auto& n = m.get<note>();
      if (n.n != seen[n.from]++)
        ++out_of_order;
    } else {
      ++downs;
      if (seen[m.get<la::down>().job().id()] != notes)
        ++out_of_order;  // a down overtook one of its job's messages
    }
  }
  BOOST_CHECK_EQUAL(downs, jobs);
  BOOST_CHECK_EQUAL(out_of_order, 0);
}

namespace {
la::job<void> ends_at_once() { co_return; }
la::job<void> ends_after_a_yield() { co_await la::yield(); }
la::job<void> fails_at_once(int i) {
  if (i >= 0)
    throw disk_full("at once");
  co_return;
}
} // namespace

// Half of the watches land while their job is ending on another worker; some after it has ended.
LIBACTOR_TEST_CASE_WITH(a_watch_racing_with_the_end_gives_exactly_one_down, four_workers) {
  constexpr int jobs = 10'000;
  struct expected {
    std::uint64_t job;
    int kind;
  };
  const char* reasons[] = {"normal", "normal", "failed", "cancelled"};
  std::unordered_map<std::uint64_t, expected> by_watch;
  std::atomic<bool> unused{false};
  for (int i = 0; i < jobs; ++i) {
    int kind = i % 4;
    la::handle<void> h;
    if (kind == 0)
      h = la::spawn(ends_at_once());
    else if (kind == 1)
      h = la::spawn(ends_after_a_yield());
    else if (kind == 2)
      h = la::spawn(fails_at_once(i));
    else
      h = la::spawn(sleeper(la::job_ref{}, &unused));
    auto id = la::watch(h);
    if (kind == 3)
      h.cancel();
    by_watch.emplace(id, expected{h.id(), kind});
  }
  BOOST_CHECK_EQUAL(by_watch.size(), std::size_t{jobs});  // distinct ids
  int unknown = 0;
  int wrong_job = 0;
  int wrong_reason = 0;
  for (int i = 0; i < jobs; ++i) {
    auto m = co_await la::receive<la::down>(30s);
    auto& d = m.value();
    auto it = by_watch.find(d.watch_id());
    if (it == by_watch.end()) {
      ++unknown;  // a second down for one watch
      continue;
    }
    if (d.job().id() != it->second.job)
      ++wrong_job;
    if (reason_of(d) != reasons[it->second.kind])
      ++wrong_reason;
    if (it->second.kind == 2 && !is_disk_full(d.error(), "at once"))
      ++wrong_reason;
    by_watch.erase(it);
  }
  BOOST_CHECK(by_watch.empty());
  BOOST_CHECK_EQUAL(unknown, 0);
  BOOST_CHECK_EQUAL(wrong_job, 0);
  BOOST_CHECK_EQUAL(wrong_reason, 0);
  BOOST_CHECK_THROW(co_await la::receive<la::down>(100ms), la::timeout_error);
}

LIBACTOR_TEST_CASE_WITH(a_down_keeps_no_frame_alive, virtual_clock) {
  auto before = la::live_job_frames();
  std::atomic<bool> cleaned{false};
  auto h = la::spawn(stubborn(la::this_job::ref(), &cleaned));
  co_await la::receive<started>(1min);
  la::watch(h);
  kill(h);
  auto m = co_await la::receive<la::down>(1min);
  BOOST_CHECK(m.value().job() == h);
  for (int i = 0; i < 100'000 && la::live_job_frames() != before; ++i)
    co_await la::yield();
  BOOST_CHECK_EQUAL(la::live_job_frames(), before);  // while the down and the handle are still held
}

// -- delivery during runtime shutdown ------------------------------------------------------------

namespace {
struct shutdown_probe {
  std::atomic<int> downs{0};
  std::atomic<bool> right_job{false};
  std::atomic<bool> cancelled{false};
  std::atomic<bool> target_cleaned{false};
};

la::job<void> waits_for_the_down(la::job_ref target, la::job_ref main, shutdown_probe* p) {
  la::watch(target);
  main.send(watching{});
  auto m = co_await la::receive<la::down>();
  ++p->downs;
  p->right_job = m.value().job() == target;
  p->cancelled = m.value().reason() == la::exit_reason::cancelled;
}

// Lives on in a shield while run() cancels everything.
la::job<void> shielded_watcher(la::job_ref target, la::job_ref main, shutdown_probe* p) {
  co_await la::shield(waits_for_the_down(target, main, p));
}

// Returns while the target and its watcher still run: run() cancels both.
la::job<void> leaves_a_watcher_behind(shutdown_probe* p) {
  auto target = la::spawn(sleeper(la::this_job::ref(), &p->target_cleaned), {.name = "left-running"});
  co_await la::receive<started>();
  la::spawn(shielded_watcher(target, la::this_job::ref(), p), {.name = "shielded-watcher"});
  co_await la::receive<watching>();
}
} // namespace

BOOST_AUTO_TEST_CASE(a_down_is_delivered_during_runtime_shutdown) {
  shutdown_probe p;
  BOOST_CHECK_EQUAL(la::run(leaves_a_watcher_behind(&p)), 0);
  BOOST_CHECK_EQUAL(p.downs.load(), 1);
  BOOST_CHECK(p.right_job.load());
  BOOST_CHECK(p.cancelled.load());
  BOOST_CHECK(p.target_cleaned.load());
}

// -- the exception in a down ---------------------------------------------------------------------

namespace {
la::job<void> watches_a_failure(bool read_error) {
  auto h = la::spawn(fails_on_go("never read"), {.name = "watched-failure"});
  la::watch(h);
  h.send(go{});
  auto m = co_await la::receive<la::down>(30s);
  BOOST_CHECK_EQUAL(reason_of(m.value()), "failed");
  if (read_error)
    BOOST_CHECK(is_disk_full(m.value().error(), "never read"));
}
} // namespace

BOOST_AUTO_TEST_CASE(reading_a_downs_error_retrieves_it) {
  log_capture log;
  la::testing::run_test(watches_a_failure(true));
  BOOST_CHECK_EQUAL(log.lines_with({"watched-failure", "exception never retrieved"}), 0);
}

// The counterpart that gives the case above its meaning: an ignored down does not retrieve it.
BOOST_AUTO_TEST_CASE(an_unread_downs_error_is_still_logged) {
  log_capture log;
  la::testing::run_test(watches_a_failure(false));
  BOOST_CHECK_EQUAL(log.lines_with({"watched-failure", "exception never retrieved", "never read"}), 1);
}

// -- usage errors --------------------------------------------------------------------------------

namespace {
la::job<void> remembers_itself(la::job_ref* out) {
  *out = la::this_job::ref();
  co_return;
}
} // namespace

// For all of watch.hpp: watch, unwatch, link, unlink and trap_exits.
LIBACTOR_TEST_CASE(usage_errors_in_a_job) {
  BOOST_CHECK_THROW(la::watch(la::job_ref{}), la::usage_error);
  BOOST_CHECK_THROW(la::watch(la::this_job::ref()), la::usage_error);
  BOOST_CHECK_THROW(la::link(la::job_ref{}), la::usage_error);
  BOOST_CHECK_THROW(la::link(la::this_job::ref()), la::usage_error);
  co_return;
}

BOOST_AUTO_TEST_CASE(usage_errors_outside_a_job) {
  la::job_ref ended;
  la::testing::run_test(remembers_itself(&ended));
  BOOST_REQUIRE(ended.valid());
  BOOST_CHECK_THROW(la::watch(ended), la::usage_error);
  BOOST_CHECK_THROW(la::unwatch(ended, 1), la::usage_error);
  BOOST_CHECK_THROW(la::link(ended), la::usage_error);
  BOOST_CHECK_THROW(la::unlink(ended), la::usage_error);
  BOOST_CHECK_THROW(la::this_job::trap_exits(true), la::usage_error);
  BOOST_CHECK_THROW((void)la::this_job::traps_exits(), la::usage_error);
}

// The job ends on another worker while this one is still in its turn (spinning, no suspension):
// its notes are in this job's mailbox, not yet taken. A watch now must queue the down behind them.
LIBACTOR_TEST_CASE_WITH(a_watch_of_an_ended_job_comes_after_the_messages_still_in_the_mailbox, four_workers) {
  auto h = la::spawn(chatty(la::this_job::ref(), 3));
  h.send(go{});
  for (long spins = 0; !h.done() && spins < 2'000'000'000L; ++spins)
    std::this_thread::yield();
  BOOST_REQUIRE(h.done());
  la::watch(h);
  std::vector<int> order;  // note numbers, then -1 for the down
  for (int i = 0; i < 4; ++i) {
    auto m = co_await la::receive<note, la::down>(1min);
    order.push_back(m.is<note>() ? m.get<note>().n : -1);
  }
  BOOST_CHECK((order == std::vector<int>{0, 1, 2, -1}));
}
