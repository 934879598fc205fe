// link: when a linked job fails or is killed, its partner is cancelled and ends with linked_failure
// (naming the job, its reason and its cause); a cancellation propagates as `cancelled`; a normal end
// does not propagate; links are symmetric and idempotent; a job that traps exits gets an
// exit_signal for every end (normal too) and keeps running; a link to an ended job acts at once;
// after unlink returns no end of the other job affects this one, even one in flight; chains and
// cycles propagate, each job ending once; a shielded partner raises after its shield. (Usage errors
// of link and trap_exits are checked with watch's, in watch_test.cpp.)
#define BOOST_TEST_MODULE link
#include <boost/test/unit_test.hpp>
#include <libactor/detail/children.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>
#include <libactor/watch.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "../support/probes.hpp"

namespace la = libactor;
using namespace std::chrono_literals;
using la::testing::set_on_destroy;

namespace {
constexpr la::runtime_config virtual_clock{.virtual_time = true};
constexpr la::runtime_config four_workers{.threads = 4};

struct go {};
struct started {};
struct linked {};
struct link_to {
  la::job_ref other;
};

struct disk_full : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The test hook: tears the job's frame down at its next suspension point.
void kill(const la::job_ref& j) { la::detail::record_access::of(j).request_kill(); }

bool is_disk_full(const std::exception_ptr& e, const std::string& what) {
  return la::testing::holds<disk_full>(e, what);
}

// The job name in `e` when it holds a linked_failure, "" otherwise.
std::string linked_failure_name(std::exception_ptr e) {
  if (!e)
    return "";
  try {
    std::rethrow_exception(e);
  } catch (const la::linked_failure& x) {
    return x.job_name();
  } catch (...) {
  }
  return "";
}

// How a job ended, as its handle tells.
struct outcome {
  bool normal = false;
  int value = 0;  // a job<int>'s value, when it ended normally
  bool cancelled = false;
  bool linked_failure = false;
  std::string job_name;
  la::exit_reason reason = la::exit_reason::normal;
  std::exception_ptr cause;
};

template <class T>
la::job<outcome> outcome_of(la::handle<T> h) {
  outcome o;
  try {
    if constexpr (std::is_void_v<T>)
      co_await h;
    else
      o.value = co_await h;
    o.normal = true;
  } catch (const la::linked_failure& e) {
    o.linked_failure = true;
    o.job_name = e.job_name();
    o.reason = e.reason();
    o.cause = e.cause();
  } catch (const la::cancelled&) {
    o.cancelled = true;
  }
  co_return o;
}

// Awaits a job expected to fail with disk_full, retrieving its exception.
la::job<bool> failed_with_disk_full(la::handle<void> h) {
  try {
    co_await h;
  } catch (const disk_full&) {
    co_return true;
  }
  co_return false;
}

// Waits, without sleeping, until `j` has ended (bounded).
la::job<void> until_done(la::job_ref j) {
  for (int i = 0; i < 1'000'000 && !j.done(); ++i)
    co_await la::yield();
  BOOST_REQUIRE(j.done());
}

la::job<void> returns_on_go() { co_await la::receive<go>(); }

// Tells `to` it runs (a kill before a job's first turn ends it `cancelled`: its body never ran),
// then returns when told to go.
la::job<void> runs_until_go(la::job_ref to) {
  to.send(started{});
  co_await la::receive<go>();
}

la::job<void> fails_on_go(const char* what) {
  co_await la::receive<go>();
  throw disk_full(what);
}

la::job<void> nap(la::clock::duration d) { co_await la::sleep(d); }

// Links itself to `other`, tells `to` (if valid), then sleeps for `d`; `cleaned` is set by its
// destructors.
la::job<void> links_and_sleeps(la::job_ref other, la::job_ref to, std::atomic<bool>* cleaned,
                               la::clock::duration d) {
  set_on_destroy guard{cleaned};
  la::link(other);
  if (to.valid())
    to.send(linked{});
  co_await la::sleep(d);
}

// Links itself to `other`, tells `to`, and fails when told to go.
la::job<void> links_then_fails_on_go(la::job_ref other, la::job_ref to, const char* what) {
  la::link(other);
  to.send(linked{});
  co_await la::receive<go>();
  throw disk_full(what);
}

// Links itself to every job it is sent (telling `to` each time); fails when told to go.
la::job<void> member(la::job_ref to) {
  for (;;) {
    auto m = co_await la::receive<link_to, go>();
    if (m.is<go>())
      throw disk_full("member failed");
    la::link(m.get<link_to>().other);
    to.send(linked{});
  }
}
} // namespace

LIBACTOR_TEST_CASE_WITH(a_failure_cancels_the_partner_which_ends_with_linked_failure, virtual_clock) {
  auto start = la::clock::now();
  std::atomic<bool> cleaned{false};
  auto f = la::spawn(fails_on_go("disk 7 full"), {.name = "failing-f"});
  auto p = la::spawn(links_and_sleeps(f, la::this_job::ref(), &cleaned, 1h), {.name = "partner-p"});
  co_await la::receive<linked>(1min);
  auto id = la::watch(p);
  f.send(go{});
  auto o = co_await outcome_of(p);
  BOOST_CHECK(o.linked_failure);
  BOOST_CHECK_EQUAL(o.job_name, "failing-f");
  BOOST_CHECK(o.reason == la::exit_reason::failed);
  BOOST_CHECK(is_disk_full(o.cause, "disk 7 full"));
  BOOST_CHECK(cleaned.load());
  BOOST_CHECK(la::clock::now() - start < 1h);  // cancelled, not woken by its timer
  // Watchers (and so supervisors) see an abnormal end.
  auto m = co_await la::receive<la::down>(1min);
  BOOST_CHECK_EQUAL(m.value().watch_id(), id);
  BOOST_CHECK(m.value().reason() == la::exit_reason::failed);
  BOOST_CHECK_EQUAL(linked_failure_name(m.value().error()), "failing-f");
  bool f_failed = co_await failed_with_disk_full(f);  // its own outcome is unchanged
  BOOST_CHECK(f_failed);
}

namespace {
// Links to `other` (and with `unlink`, unlinks at once: twice, the second a no-op), watches it,
// tells `to`, and returns the reason of the down it gets. Link exits go ahead of ordinary messages,
// so an end that wrongly propagated would cancel it in its receive, or at the yield after it.
la::job<int> links_and_returns_the_down(la::job_ref other, la::job_ref to, bool unlink) {
  la::link(other);
  if (unlink) {
    la::unlink(other);
    la::unlink(other);
  }
  la::watch(other);
  to.send(linked{});
  auto m = co_await la::receive<la::down>();
  co_await la::yield();
  co_return static_cast<int>(m.value().reason());
}
} // namespace

LIBACTOR_TEST_CASE_WITH(a_normal_end_does_not_propagate, virtual_clock) {
  auto f = la::spawn(returns_on_go());
  auto p = la::spawn(links_and_returns_the_down(f, la::this_job::ref(), false));
  co_await la::receive<linked>(1min);
  f.send(go{});
  auto o = co_await outcome_of(p);
  BOOST_CHECK(o.normal);
  BOOST_CHECK_EQUAL(o.value, static_cast<int>(la::exit_reason::normal));
}

LIBACTOR_TEST_CASE_WITH(a_cancellation_propagates_as_cancelled, virtual_clock) {
  std::atomic<bool> cleaned{false};
  auto f = la::spawn(returns_on_go());
  auto p = la::spawn(links_and_sleeps(f, la::this_job::ref(), &cleaned, 1h));
  co_await la::receive<linked>(1min);
  auto id = la::watch(p);
  f.cancel();
  auto o = co_await outcome_of(p);
  BOOST_CHECK(o.cancelled);
  BOOST_CHECK(!o.linked_failure);
  BOOST_CHECK(cleaned.load());
  auto m = co_await la::receive<la::down>(1min);
  BOOST_CHECK_EQUAL(m.value().watch_id(), id);
  BOOST_CHECK(m.value().reason() == la::exit_reason::cancelled);
}

LIBACTOR_TEST_CASE_WITH(a_kill_propagates_as_linked_failure, virtual_clock) {
  std::atomic<bool> cleaned{false};
  auto f = la::spawn(runs_until_go(la::this_job::ref()), {.name = "killed-f"});
  auto p = la::spawn(links_and_sleeps(f, la::this_job::ref(), &cleaned, 1h));
  co_await la::receive<started>(1min);
  co_await la::receive<linked>(1min);
  kill(f);
  auto o = co_await outcome_of(p);
  BOOST_CHECK(o.linked_failure);
  BOOST_CHECK_EQUAL(o.job_name, "killed-f");
  BOOST_CHECK(o.reason == la::exit_reason::killed);
  BOOST_CHECK(!o.cause);
  BOOST_CHECK(cleaned.load());
}

LIBACTOR_TEST_CASE_WITH(a_link_works_in_both_directions, virtual_clock) {
  for (int side = 0; side < 2; ++side) {
    bool failing_side_links = side == 1;
    std::atomic<bool> cleaned{false};
    la::handle<void> f;
    la::handle<void> p;
    if (failing_side_links) {
      p = la::spawn(nap(1h));
      f = la::spawn(links_then_fails_on_go(p, la::this_job::ref(), "either way"), {.name = "f"});
    } else {
      f = la::spawn(fails_on_go("either way"), {.name = "f"});
      p = la::spawn(links_and_sleeps(f, la::this_job::ref(), &cleaned, 1h));
    }
    co_await la::receive<linked>(1min);
    f.send(go{});
    auto o = co_await outcome_of(p);
    BOOST_CHECK_MESSAGE(o.linked_failure, "the failing side linked: " << failing_side_links);
    BOOST_CHECK_EQUAL(o.job_name, "f");
    BOOST_CHECK(is_disk_full(o.cause, "either way"));
    bool f_failed = co_await failed_with_disk_full(f);
    BOOST_CHECK(f_failed);
  }
}

namespace {
struct signal_seen {
  std::uint64_t from;
  la::exit_reason reason;
  bool disk_full;
};

// Traps exits, links to each of `others`, tells `to`, and records one exit_signal per link.
la::job<int> traps(const std::vector<la::job_ref>* others, la::job_ref to, std::vector<signal_seen>* seen) {
  LIBACTOR_CHECK(!la::this_job::traps_exits());
  la::this_job::trap_exits(true);
  LIBACTOR_CHECK(la::this_job::traps_exits());
  for (const auto& other : *others)
    la::link(other);
  to.send(linked{});
  for (std::size_t i = 0; i < others->size(); ++i) {
    auto m = co_await la::receive<la::exit_signal>();
    auto& s = m.value();
    seen->push_back(signal_seen{s.from().id(), s.reason(), is_disk_full(s.error(), "trapped")});
  }
  co_await la::yield();  // still running, not cancelled
  la::this_job::trap_exits(false);
  LIBACTOR_CHECK(!la::this_job::traps_exits());
  co_return 7;
}
} // namespace

LIBACTOR_TEST_CASE_WITH(trap_exits_turns_every_end_into_an_exit_signal, virtual_clock) {
  auto n = la::spawn(returns_on_go());
  auto x = la::spawn(fails_on_go("trapped"));
  auto c = la::spawn(returns_on_go());
  auto k = la::spawn(runs_until_go(la::this_job::ref()));
  co_await la::receive<started>(1min);
  std::vector<la::job_ref> others{n, x, c, k};
  std::vector<signal_seen> seen;
  auto t = la::spawn(traps(&others, la::this_job::ref(), &seen));
  co_await la::receive<linked>(1min);
  n.send(go{});
  x.send(go{});
  c.cancel();
  kill(k);
  auto o = co_await outcome_of(t);
  BOOST_CHECK(o.normal);  // it kept running
  BOOST_CHECK_EQUAL(o.value, 7);
  BOOST_REQUIRE_EQUAL(seen.size(), 4u);
  std::map<std::uint64_t, signal_seen> by_job;
  for (auto& s : seen)
    by_job.emplace(s.from, s);
  BOOST_REQUIRE_EQUAL(by_job.size(), 4u);
  BOOST_CHECK(by_job.at(n.id()).reason == la::exit_reason::normal);
  BOOST_CHECK(by_job.at(x.id()).reason == la::exit_reason::failed);
  BOOST_CHECK(by_job.at(x.id()).disk_full);
  BOOST_CHECK(by_job.at(c.id()).reason == la::exit_reason::cancelled);
  BOOST_CHECK(by_job.at(k.id()).reason == la::exit_reason::killed);
}

LIBACTOR_TEST_CASE_WITH(a_link_to_an_ended_job_acts_at_once, virtual_clock) {
  std::atomic<bool> cleaned{false};
  auto failed = la::spawn(fails_on_go("already over"), {.name = "ended-f"});
  auto fine = la::spawn(returns_on_go());
  failed.send(go{});
  fine.send(go{});
  co_await until_done(failed);
  co_await until_done(fine);
  auto start = la::clock::now();

  auto p = la::spawn(links_and_sleeps(failed, la::job_ref{}, &cleaned, 1h));
  auto o = co_await outcome_of(p);
  BOOST_CHECK(o.linked_failure);
  BOOST_CHECK_EQUAL(o.job_name, "ended-f");
  BOOST_CHECK(o.reason == la::exit_reason::failed);
  BOOST_CHECK(is_disk_full(o.cause, "already over"));
  BOOST_CHECK(la::clock::now() == start);  // at its first suspension, not after its hour

  // A link to a job that ended normally does nothing.
  std::atomic<bool> cleaned2{false};
  auto q = la::spawn(links_and_sleeps(fine, la::job_ref{}, &cleaned2, 1min));
  o = co_await outcome_of(q);
  BOOST_CHECK(o.normal);
  BOOST_CHECK(la::clock::now() - start == 1min);

  // A job that traps exits gets the signal at once.
  std::vector<la::job_ref> others{failed};
  std::vector<signal_seen> seen;
  auto t = la::spawn(traps(&others, la::this_job::ref(), &seen));
  co_await la::receive<linked>(1min);
  int r = co_await t;
  BOOST_CHECK_EQUAL(r, 7);
  BOOST_REQUIRE_EQUAL(seen.size(), 1u);
  BOOST_CHECK(seen[0].reason == la::exit_reason::failed);
  BOOST_CHECK(la::clock::now() - start == 1min);
  bool ended_failed = co_await failed_with_disk_full(failed);
  BOOST_CHECK(ended_failed);
}

LIBACTOR_TEST_CASE_WITH(after_unlink_a_failure_does_not_propagate, virtual_clock) {
  auto f = la::spawn(fails_on_go("unlinked"));
  auto p = la::spawn(links_and_returns_the_down(f, la::this_job::ref(), true));
  co_await la::receive<linked>(1min);
  f.send(go{});
  auto o = co_await outcome_of(p);
  BOOST_CHECK(o.normal);
  BOOST_CHECK_EQUAL(o.value, static_cast<int>(la::exit_reason::failed));
  bool f_failed = co_await failed_with_disk_full(f);
  BOOST_CHECK(f_failed);
}

namespace {
// Links to `other`; once told to go, yields `delay` times (to move the unlink across the moment
// the other's exit arrives), then unlinks in a turn in which that exit may arrive, and suspends
// three more times. `unlinked_first` says that no exit had taken effect before unlink: from then
// on nothing may cancel it.
la::job<void> unlinks_on_go(la::job_ref other, la::job_ref to, int delay, std::atomic<bool>* unlinked_first) {
  la::link(other);
  to.send(linked{});
  co_await la::receive<go>();
  for (int i = 0; i < delay; ++i)
    co_await la::yield();
  bool hit_before = la::this_job::cancelled();
  la::unlink(other);
  unlinked_first->store(!hit_before);
  for (int i = 0; i < 3; ++i)
    co_await la::yield();
}
} // namespace

LIBACTOR_TEST_CASE_WITH(unlink_wins_over_an_exit_in_flight, four_workers) {
  constexpr int rounds = 1000;
  int unlinked_first = 0;
  int exit_first = 0;
  int cancelled_after_unlink = 0;
  int wrong_outcome = 0;
  for (int i = 0; i < rounds; ++i) {
    std::atomic<bool> in_time{false};
    auto f = la::spawn(fails_on_go("in flight"));
    auto p = la::spawn(unlinks_on_go(f, la::this_job::ref(), i % 8, &in_time));
    co_await la::receive<linked>(30s);
    if (i % 2 == 0) {  // either order, and 0-7 yields before the unlink: both outcomes occur
      f.send(go{});
      p.send(go{});
    } else {
      p.send(go{});
      f.send(go{});
    }
    auto o = co_await outcome_of(p);
    if (in_time.load()) {
      ++unlinked_first;
      if (!o.normal)
        ++cancelled_after_unlink;
    } else {
      ++exit_first;
      if (!o.linked_failure)
        ++wrong_outcome;  // cancelled by something other than the link
    }
    if (!co_await failed_with_disk_full(f))
      ++wrong_outcome;
  }
  BOOST_TEST_MESSAGE("unlink first: " << unlinked_first << ", exit first: " << exit_first);
  BOOST_CHECK_EQUAL(cancelled_after_unlink, 0);
  BOOST_CHECK_EQUAL(wrong_outcome, 0);
  BOOST_WARN_GT(unlinked_first, 0);
  BOOST_WARN_GT(exit_first, 0);
}

LIBACTOR_TEST_CASE_WITH(a_chain_propagates_and_a_cycle_ends_each_once, virtual_clock) {
  auto me = la::this_job::ref();
  {  // chain a - b - c: c's failure names b, whose own names a
    auto a = la::spawn(member(me), {.name = "chain-a"});
    auto b = la::spawn(member(me), {.name = "chain-b"});
    auto c = la::spawn(member(me), {.name = "chain-c"});
    b.send(link_to{a});
    c.send(link_to{b});
    co_await la::receive<linked>(1min);
    co_await la::receive<linked>(1min);
    a.send(go{});
    auto ob = co_await outcome_of(b);
    auto oc = co_await outcome_of(c);
    BOOST_CHECK(ob.linked_failure);
    BOOST_CHECK_EQUAL(ob.job_name, "chain-a");
    BOOST_CHECK(is_disk_full(ob.cause, "member failed"));
    BOOST_CHECK(oc.linked_failure);
    BOOST_CHECK_EQUAL(oc.job_name, "chain-b");
    BOOST_CHECK(oc.reason == la::exit_reason::failed);
    BOOST_CHECK_EQUAL(linked_failure_name(oc.cause), "chain-a");
    bool a_failed = co_await failed_with_disk_full(a);
    BOOST_CHECK(a_failed);
  }
  {  // cycle a - b - c - a: one down each
    auto a = la::spawn(member(me), {.name = "cycle-a"});
    auto b = la::spawn(member(me), {.name = "cycle-b"});
    auto c = la::spawn(member(me), {.name = "cycle-c"});
    b.send(link_to{a});
    c.send(link_to{b});
    a.send(link_to{c});
    for (int i = 0; i < 3; ++i)
      co_await la::receive<linked>(1min);
    la::watch(a);
    la::watch(b);
    la::watch(c);
    a.send(go{});
    std::map<std::uint64_t, int> downs;
    for (int i = 0; i < 3; ++i) {
      auto m = co_await la::receive<la::down>(1min);
      ++downs[m.value().job().id()];
      BOOST_CHECK(m.value().reason() == la::exit_reason::failed);
      (void)m.value().error();  // retrieved
    }
    BOOST_CHECK_THROW(co_await la::receive<la::down>(1min), la::timeout_error);
    BOOST_CHECK_EQUAL(downs.size(), 3u);
    BOOST_CHECK_EQUAL(downs[a.id()], 1);
    BOOST_CHECK_EQUAL(downs[b.id()], 1);
    BOOST_CHECK_EQUAL(downs[c.id()], 1);
    bool a_failed = co_await failed_with_disk_full(a);
    auto ob = co_await outcome_of(b);
    auto oc = co_await outcome_of(c);
    BOOST_CHECK(a_failed);
    BOOST_CHECK(ob.linked_failure);
    BOOST_CHECK(oc.linked_failure);
  }
}

namespace {
// Traps exits, links to `other` `links` times, tells `to`; counts the exit signals that arrive
// within a minute of the first.
la::job<int> counts_signals(la::job_ref other, la::job_ref to, int links) {
  la::this_job::trap_exits(true);
  for (int i = 0; i < links; ++i)
    la::link(other);
  to.send(linked{});
  auto first = co_await la::receive<la::exit_signal>(1min);
  LIBACTOR_CHECK(first.value().reason() == la::exit_reason::failed);
  int signals = 1;
  try {
    co_await la::receive<la::exit_signal>(1min);
    ++signals;
  } catch (const la::timeout_error&) {
  }
  co_return signals;
}
} // namespace

LIBACTOR_TEST_CASE_WITH(an_idempotent_link_gives_one_signal, virtual_clock) {
  auto me = la::this_job::ref();
  auto f = la::spawn(member(me));
  auto t = la::spawn(counts_signals(f, me, 3));
  co_await la::receive<linked>(1min);
  f.send(link_to{t});  // and once more from the other side
  co_await la::receive<linked>(1min);
  f.send(go{});
  int signals = co_await t;
  BOOST_CHECK_EQUAL(signals, 1);
  bool f_failed = co_await failed_with_disk_full(f);
  BOOST_CHECK(f_failed);
}

namespace {
// Links to `other`, tells `to`, then naps a minute in a shield.
la::job<void> links_and_naps_in_a_shield(la::job_ref other, la::job_ref to, std::atomic<bool>* shield_done,
                                         std::atomic<bool>* went_on) {
  la::link(other);
  to.send(linked{});
  co_await la::shield(nap(1min));
  shield_done->store(true);
  co_await la::yield();  // raises here
  went_on->store(true);
}
} // namespace

LIBACTOR_TEST_CASE_WITH(a_shielded_partner_raises_after_its_shield, virtual_clock) {
  std::atomic<bool> shield_done{false};
  std::atomic<bool> went_on{false};
  auto start = la::clock::now();
  auto f = la::spawn(fails_on_go("during the shield"), {.name = "shield-f"});
  auto p = la::spawn(links_and_naps_in_a_shield(f, la::this_job::ref(), &shield_done, &went_on));
  co_await la::receive<linked>(1min);
  f.send(go{});
  auto o = co_await outcome_of(p);
  BOOST_CHECK(o.linked_failure);
  BOOST_CHECK_EQUAL(o.job_name, "shield-f");
  BOOST_CHECK(shield_done.load());
  BOOST_CHECK(!went_on.load());
  BOOST_CHECK(la::clock::now() - start == 1min);  // the shielded nap ran to its end
  bool f_failed = co_await failed_with_disk_full(f);
  BOOST_CHECK(f_failed);
}
