// Restart intensity and backoff (OTP supervisor_SUITE: multiple_restarts, one_for_one_escalation,
// one_for_all_escalation, rest_for_one_escalation, simple_one_for_one_escalation, try_again_restart;
// Akka's restartWithBackoff). More than `intensity` restarts within `period` — a sliding window in
// which a restart at `t` counts while now <= t + period — make the supervisor stop its children in
// reverse order and fail with restart_intensity_exceeded. All in virtual time, so every instant
// below is exact.
#define BOOST_TEST_MODULE supervisor_intensity
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/supervisor.hpp>
#include <libactor/testing.hpp>
#include <libactor/watch.hpp>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <vector>
#include "../support/supervision_probes.hpp"

namespace la = libactor;
namespace lt = la::testing;
using namespace std::chrono_literals;
using ev = la::supervisor_event;
using names = std::vector<std::string>;

namespace {
la::supervisor_spec only_a(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log, la::supervisor_flags flags) {
  la::supervisor_spec spec{"sup", flags};
  spec.add(lt::worker(t, "a"));
  spec.on_event(log->handler());
  return spec;
}

// Makes child `id`'s current incarnation fail and waits until the supervisor has handled it
// (the n-th exited event of `id`).
la::job<void> fail_once(la::supervisor sup, std::shared_ptr<lt::event_log> log, const char* id, std::size_t n) {
  auto j = co_await lt::child_job(sup, id);
  BOOST_REQUIRE_MESSAGE(j.valid(), "child " << id << " has no job");
  lt::tell(j, lt::exit_kind::failed);
  co_await lt::wait_events(log, ev::exited, id, n);
}

} // namespace

// OTP: multiple_restarts (restarts spaced beyond the period never add up).
LIBACTOR_TEST_CASE_WITH(restarts_spaced_beyond_the_period_never_escalate, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  la::supervisor_flags flags{.intensity = 1, .period = 1s};
  auto sup = co_await la::start_supervisor(only_a(t, log, flags));
  for (std::size_t i = 1; i <= 5; ++i) {
    co_await la::sleep(2s);
    co_await fail_once(sup, log, "a", i);
    co_await lt::wait_events(log, ev::started, "a", i + 1);
  }
  BOOST_CHECK(!sup.done());
  BOOST_CHECK_EQUAL(log->count(ev::escalated), 0u);
  BOOST_CHECK_EQUAL(t->start_count("a"), 6);
  auto entry = co_await lt::child_entry(sup, "a");
  BOOST_REQUIRE(entry);
  BOOST_CHECK_EQUAL(entry->restarts, 5u);
  BOOST_CHECK(entry->state == la::child_info::running);
  co_await sup.stop();
}

namespace {
// intensity 2 within 10 s: b fails three times at the same instant. The third escalates: the
// others are stopped in reverse start order, and the supervisor fails naming b and its failure.
la::job<void> escalation_case(la::restart_strategy s) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  la::supervisor_flags flags{.strategy = s, .intensity = 2, .period = 10s};
  auto sup = co_await la::start_supervisor(lt::abc(t, log, flags));
  auto start = la::clock::now();
  co_await fail_once(sup, log, "b", 1);
  co_await fail_once(sup, log, "b", 2);
  BOOST_CHECK(!sup.done());
  auto kids = co_await sup.which_children();
  for (auto& k : kids)
    la::watch(k.job);
  auto mark = t->ends().size();
  auto b = co_await lt::child_job(sup, "b");
  lt::tell(b, lt::exit_kind::failed);
  auto err = co_await lt::ended_with(sup);
  auto downs = co_await lt::collect_downs(3);
  BOOST_TEST_CONTEXT(static_cast<int>(s)) {
    BOOST_REQUIRE_MESSAGE(err, "the supervisor should have failed with supervisor_error");
    BOOST_CHECK_EQUAL(lt::errc_name(err->code()), "restart_intensity_exceeded");
    BOOST_CHECK_EQUAL(err->child_id(), "b");
    BOOST_CHECK_EQUAL(lt::what_of(err->cause()), "b failed");
    BOOST_CHECK((lt::tail(t->ends(), mark) == names{"b", "c", "a"}));
    for (auto& k : kids)
      BOOST_CHECK_EQUAL(la::to_string(downs.at(k.job.id())), k.id == "b" ? "failed" : "cancelled");
    auto escalated = log->of(ev::escalated, "b");
    BOOST_REQUIRE_EQUAL(escalated.size(), 1u);
    BOOST_CHECK_EQUAL(escalated[0].restarts_in_period, 3u);
    BOOST_CHECK(la::clock::now() == start);  // no time passed: the three failures were within the period
  }
  BOOST_CHECK_THROW(co_await sup.which_children(), la::ask_error);  // the supervisor is gone
}
} // namespace

// OTP: one_for_one_escalation.
LIBACTOR_TEST_CASE_WITH(one_over_the_limit_escalates_one_for_one, lt::virtual_clock) {
  co_await escalation_case(la::restart_strategy::one_for_one);
}

// OTP: one_for_all_escalation.
LIBACTOR_TEST_CASE_WITH(one_over_the_limit_escalates_one_for_all, lt::virtual_clock) {
  co_await escalation_case(la::restart_strategy::one_for_all);
}

// OTP: rest_for_one_escalation.
LIBACTOR_TEST_CASE_WITH(one_over_the_limit_escalates_rest_for_one, lt::virtual_clock) {
  co_await escalation_case(la::restart_strategy::rest_for_one);
}

namespace {
la::supervisor_spec pool(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log, la::supervisor_flags flags) {
  la::supervisor_spec spec{"pool", flags};
  spec.add(lt::plain_worker(t, "w"));
  spec.on_event(log->handler());
  return spec;
}

// The job of `sup`'s child that is not in `known` (the restarted one).
la::job<la::job_ref> newcomer(la::supervisor sup, std::shared_ptr<std::set<std::uint64_t>> known) {
  auto kids = co_await sup.which_children();
  for (auto& k : kids)
    if (k.job.valid() && !known->count(k.job.id()))
      co_return k.job;
  co_return la::job_ref{};
}
} // namespace

// OTP: simple_one_for_one_escalation.
LIBACTOR_TEST_CASE_WITH(one_over_the_limit_escalates_simple_one_for_one, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  la::supervisor_flags flags{.strategy = la::restart_strategy::simple_one_for_one, .intensity = 2, .period = 10s};
  auto sup = co_await la::start_supervisor(pool(t, log, flags));
  auto w1 = co_await sup.start_child();
  la::job_ref w2 = co_await sup.start_child();
  auto w3 = co_await sup.start_child();
  la::watch(w1);
  la::watch(w3);
  auto known = std::make_shared<std::set<std::uint64_t>>();
  for (auto* w : {&w1, &w3})
    known->insert(w->id());
  for (std::size_t i = 1; i <= 3; ++i) {
    BOOST_REQUIRE(w2.valid());
    known->insert(w2.id());
    lt::tell(w2, lt::exit_kind::failed);
    if (i == 3)
      break;
    co_await lt::wait_events(log, ev::exited, i);
    w2 = co_await newcomer(sup, known);
  }
  auto err = co_await lt::ended_with(sup);
  BOOST_REQUIRE_MESSAGE(err, "the supervisor should have failed with supervisor_error");
  BOOST_CHECK_EQUAL(lt::errc_name(err->code()), "restart_intensity_exceeded");
  BOOST_CHECK_EQUAL(err->child_id().substr(0, 1), "w");
  BOOST_CHECK_EQUAL(lt::what_of(err->cause()), "w failed");
  auto downs = co_await lt::collect_downs(2);
  BOOST_CHECK_EQUAL(la::to_string(downs.at(w1.id())), "cancelled");
  BOOST_CHECK_EQUAL(la::to_string(downs.at(w3.id())), "cancelled");
}

// OTP: supervisor.erl inPeriod (Now =< Then + Period): the window's end is inclusive.
LIBACTOR_TEST_CASE_WITH(window_boundary_is_inclusive, lt::virtual_clock) {
  for (auto extra : {la::clock::duration::zero(), la::clock::duration{1}}) {
    auto t = std::make_shared<lt::trace>();
    auto log = lt::event_log::make(la::this_job::ref());
    la::supervisor_flags flags{.intensity = 1, .period = 10s};
    auto sup = co_await la::start_supervisor(only_a(t, log, flags));
    co_await fail_once(sup, log, "a", 1);
    auto t0 = log->of(ev::exited, "a").at(0).at;
    auto a = co_await lt::child_job(sup, "a");
    co_await la::sleep_until(t0 + 10s + extra);
    lt::tell(a, lt::exit_kind::failed);
    co_await lt::wait_events(log, ev::exited, "a", 2);
    auto second = log->of(ev::exited, "a").at(1).at;
    BOOST_CHECK_MESSAGE(second - t0 == 10s + extra, "the second failure came " << (second - t0).count() << " ns after the first");
    if (extra == la::clock::duration::zero()) {
      // The first restart still counts: two within the period, one more than the intensity.
      auto err = co_await lt::ended_with(sup);
      BOOST_REQUIRE_MESSAGE(err, "a failure exactly at t0 + period should escalate");
      BOOST_CHECK_EQUAL(lt::errc_name(err->code()), "restart_intensity_exceeded");
      BOOST_CHECK_EQUAL(err->child_id(), "a");
      BOOST_CHECK_EQUAL(log->count(ev::escalated, "a"), 1u);
    } else {
      // One nanosecond later the first restart has left the window.
      co_await lt::wait_events(log, ev::started, "a", 3);
      BOOST_CHECK_MESSAGE(!sup.done(), "a failure at t0 + period + 1 ns should not escalate");
      BOOST_CHECK_EQUAL(log->count(ev::escalated), 0u);
      co_await sup.stop();
    }
  }
}

namespace {
la::supervisor_spec refusing_restarts(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log,
                                      std::shared_ptr<std::atomic<int>> calls, la::supervisor_flags flags) {
  la::supervisor_spec spec{"sup", flags};
  spec.add(la::child_spec{"a", lt::refuses(2, 1000, calls, lt::controllable_factory(t, "a"))});
  spec.on_event(log->handler());
  return spec;
}
} // namespace

// OTP: try_again_restart (a failed restart is retried, and every try counts).
LIBACTOR_TEST_CASE_WITH(failed_restarts_count_too, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto calls = std::make_shared<std::atomic<int>>(0);
  la::supervisor_flags flags{.intensity = 2, .period = 10s};
  auto sup = co_await la::start_supervisor(refusing_restarts(t, log, calls, flags));
  auto a = co_await lt::child_job(sup, "a");
  lt::tell(a, lt::exit_kind::failed);
  auto err = co_await lt::ended_with(sup);
  BOOST_REQUIRE_MESSAGE(err, "the supervisor should have failed with supervisor_error");
  BOOST_CHECK_EQUAL(lt::errc_name(err->code()), "restart_intensity_exceeded");
  BOOST_CHECK_EQUAL(err->child_id(), "a");
  BOOST_CHECK_EQUAL(lt::what_of(err->cause()), "start refused");  // the failed try tipped it
  // The end of a counted 1, the first failed try 2, the second failed try 3 > 2.
  BOOST_CHECK_EQUAL(calls->load(), 3);
  BOOST_CHECK_EQUAL(log->count(ev::start_failed, "a"), 2u);
}

// A one_for_all restart of three children is one restart, not three.
LIBACTOR_TEST_CASE_WITH(a_group_restart_counts_once, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  la::supervisor_flags flags{.strategy = la::restart_strategy::one_for_all, .intensity = 1, .period = 10s};
  auto sup = co_await la::start_supervisor(lt::abc(t, log, flags));
  co_await fail_once(sup, log, "b", 1);
  co_await lt::wait_events(log, ev::started, "c", 2);
  BOOST_CHECK(!sup.done());
  BOOST_CHECK_EQUAL(log->count(ev::escalated), 0u);
  BOOST_CHECK((t->starts() == names{"a", "b", "c", "a", "b", "c"}));
  auto b = co_await lt::child_job(sup, "b");
  lt::tell(b, lt::exit_kind::failed);  // the second restart within the period is one too many
  auto err = co_await lt::ended_with(sup);
  BOOST_REQUIRE(err);
  BOOST_CHECK_EQUAL(lt::errc_name(err->code()), "restart_intensity_exceeded");
}

// -- backoff --------------------------------------------------------------------------------------

namespace {
la::supervisor_flags with_backoff(la::backoff_options b) {
  return {.intensity = 100, .period = 1h, .backoff = b};
}

std::vector<la::clock::duration> delays_of(const std::shared_ptr<lt::event_log>& log, const char* id) {
  std::vector<la::clock::duration> out;
  for (auto& e : log->of(ev::restarting, id))
    out.push_back(e.delay);
  return out;
}
} // namespace

// Akka's BackoffRestarter.calculateDelay: min(max, min * 2^n) with random_factor 0, exactly.
LIBACTOR_TEST_CASE_WITH(backoff_doubles_up_to_max_exactly, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto flags = with_backoff({.min = 100ms, .max = 1s, .random_factor = 0, .reset_after = 1h, .seed = 1});
  auto sup = co_await la::start_supervisor(only_a(t, log, flags));
  for (std::size_t i = 1; i <= 6; ++i) {
    co_await fail_once(sup, log, "a", i);
    co_await lt::wait_events(log, ev::started, "a", i + 1);
  }
  auto delays = delays_of(log, "a");
  std::vector<la::clock::duration> expected{100ms, 200ms, 400ms, 800ms, 1s, 1s};
  BOOST_CHECK_EQUAL(delays.size(), expected.size());
  for (std::size_t i = 0; i < std::min(delays.size(), expected.size()); ++i)
    BOOST_CHECK_MESSAGE(delays[i] == expected[i], "restart " << i << ": delay " << delays[i].count() << " ns, expected "
                                                              << expected[i].count() << " ns");
  // Each incarnation started exactly its delay after the end was handled.
  auto exits = log->of(ev::exited, "a");
  auto restarting = log->of(ev::restarting, "a");
  auto starts = log->of(ev::started, "a");
  BOOST_REQUIRE_EQUAL(starts.size(), 7u);
  BOOST_REQUIRE_EQUAL(restarting.size(), 6u);
  for (std::size_t i = 0; i < 6; ++i) {
    BOOST_CHECK(restarting[i].at == exits.at(i).at);
    BOOST_CHECK(starts[i + 1].at - restarting[i].at == expected[i]);
  }
  co_await sup.stop();
}

// Akka: the count of consecutive restarts goes back to 0 once the child has run reset_after.
LIBACTOR_TEST_CASE_WITH(backoff_resets_after_uptime, lt::virtual_clock) {
  // reset_after given: 100 ms, then 1 s up (< 5 s): 200 ms, at once: 400 ms, then 6 s up: 100 ms.
  {
    auto t = std::make_shared<lt::trace>();
    auto log = lt::event_log::make(la::this_job::ref());
    auto flags = with_backoff({.min = 100ms, .max = 10s, .random_factor = 0, .reset_after = 5s, .seed = 1});
    auto sup = co_await la::start_supervisor(only_a(t, log, flags));
    la::clock::duration uptimes[] = {0s, 1s, 0s, 6s};
    for (std::size_t i = 0; i < 4; ++i) {
      co_await la::sleep(uptimes[i]);
      co_await fail_once(sup, log, "a", i + 1);
      co_await lt::wait_events(log, ev::started, "a", i + 2);
    }
    BOOST_CHECK((delays_of(log, "a") == std::vector<la::clock::duration>{100ms, 200ms, 400ms, 100ms}));
    co_await sup.stop();
  }
  // reset_after zero: (min + max) / 2 = 550 ms.
  {
    auto t = std::make_shared<lt::trace>();
    auto log = lt::event_log::make(la::this_job::ref());
    auto flags = with_backoff({.min = 100ms, .max = 1s, .random_factor = 0, .seed = 1});
    auto sup = co_await la::start_supervisor(only_a(t, log, flags));
    la::clock::duration uptimes[] = {0s, 0s, 600ms, 500ms};
    for (std::size_t i = 0; i < 4; ++i) {
      co_await la::sleep(uptimes[i]);
      co_await fail_once(sup, log, "a", i + 1);
      co_await lt::wait_events(log, ev::started, "a", i + 2);
    }
    BOOST_CHECK((delays_of(log, "a") == std::vector<la::clock::duration>{100ms, 200ms, 100ms, 200ms}));
    co_await sup.stop();
  }
}

namespace {
// Five immediate failures under a backoff with jitter; yields the delays.
la::job<std::vector<la::clock::duration>> jittered_delays(std::uint64_t seed) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto flags = with_backoff({.min = 100ms, .max = 1s, .random_factor = 0.5, .reset_after = 1h, .seed = seed});
  auto sup = co_await la::start_supervisor(only_a(t, log, flags));
  for (std::size_t i = 1; i <= 5; ++i) {
    co_await fail_once(sup, log, "a", i);
    co_await lt::wait_events(log, ev::started, "a", i + 1);
  }
  co_await sup.stop();
  auto delays = delays_of(log, "a");
  auto starts = log->of(ev::started, "a");
  auto restarting = log->of(ev::restarting, "a");
  for (std::size_t i = 0; i < restarting.size() && i + 1 < starts.size(); ++i)
    BOOST_CHECK(starts[i + 1].at - restarting[i].at == delays[i]);  // the jittered delay is the one waited
  co_return delays;
}
} // namespace

// Akka: delay * (1 + U[0,1) * random_factor); a fixed seed replays the same delays.
LIBACTOR_TEST_CASE_WITH(jitter_stays_within_bounds_and_is_seeded, lt::virtual_clock) {
  auto first = co_await jittered_delays(42);
  auto again = co_await jittered_delays(42);
  auto other = co_await jittered_delays(7);
  std::vector<la::clock::duration> base{100ms, 200ms, 400ms, 800ms, 1s};
  BOOST_REQUIRE_EQUAL(first.size(), base.size());
  BOOST_REQUIRE_EQUAL(other.size(), base.size());
  bool jittered = false;
  for (std::size_t i = 0; i < base.size(); ++i) {
    BOOST_CHECK_MESSAGE(first[i] >= base[i] && first[i] < base[i] * 3 / 2,
                        "delay " << i << " = " << first[i].count() << " ns, base " << base[i].count() << " ns");
    BOOST_CHECK(other[i] >= base[i] && other[i] < base[i] * 3 / 2);
    jittered = jittered || first[i] != base[i];
  }
  BOOST_CHECK_MESSAGE(jittered, "random_factor 0.5 left every delay at its base");
  BOOST_CHECK(first == again);
  BOOST_CHECK(first != other);
}

namespace {
la::supervisor_spec ab(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log, la::supervisor_flags flags) {
  la::supervisor_spec spec{"sup", flags};
  spec.add(lt::worker(t, "a")).add(lt::worker(t, "b"));
  spec.on_event(log->handler());
  return spec;
}
} // namespace

// OTP's restarting state (count_restarting_children), reached here through a backoff.
LIBACTOR_TEST_CASE_WITH(which_children_shows_restarting_during_backoff, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto flags = with_backoff({.min = 1s, .max = 1s, .random_factor = 0, .seed = 1});
  auto sup = co_await la::start_supervisor(ab(t, log, flags));
  co_await fail_once(sup, log, "a", 1);
  auto during = la::clock::now();
  auto a = co_await lt::child_entry(sup, "a");
  auto b = co_await lt::child_entry(sup, "b");
  auto counts = co_await sup.count_children();
  BOOST_REQUIRE(a && b);
  BOOST_CHECK(a->state == la::child_info::restarting);
  BOOST_CHECK(!a->job.valid());
  BOOST_CHECK(b->state == la::child_info::running);
  BOOST_CHECK_EQUAL(counts.specs, 2u);
  BOOST_CHECK_EQUAL(counts.active, 1u);
  BOOST_CHECK(la::clock::now() == during);  // the calls were answered during the backoff
  co_await lt::wait_events(log, ev::started, "a", 2);
  a = co_await lt::child_entry(sup, "a");
  BOOST_REQUIRE(a);
  BOOST_CHECK(a->state == la::child_info::running);
  BOOST_CHECK_EQUAL(a->restarts, 1u);
  BOOST_CHECK(log->of(ev::started, "a").at(1).at - log->of(ev::exited, "a").at(0).at == 1s);
  co_await sup.stop();
}

// Stopping a supervisor during a backoff stops it at once and starts nothing afterwards.
LIBACTOR_TEST_CASE_WITH(stop_during_backoff_starts_nothing, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto flags = with_backoff({.min = 1s, .max = 1s, .random_factor = 0, .seed = 1});
  auto sup = co_await la::start_supervisor(ab(t, log, flags));
  co_await fail_once(sup, log, "a", 1);
  co_await lt::wait_events(log, ev::restarting, "a", 1);
  auto before = la::clock::now();
  co_await sup.stop();
  BOOST_CHECK(la::clock::now() == before);  // it did not wait for the backoff to end
  BOOST_CHECK(sup.done());
  co_await la::sleep(10s);
  BOOST_CHECK_EQUAL(t->start_count("a"), 1);
  BOOST_CHECK_EQUAL(log->count(ev::started, "a"), 1u);
  BOOST_CHECK_EQUAL(t->end_count("b"), 1);  // b was stopped
}
