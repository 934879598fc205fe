// Stopping (OTP supervisor_SUITE: sup_stop_infinity, sup_stop_timeout, sup_stop_brutal_kill,
// order_of_children, simple_one_for_one_shutdown, child_unlink). A supervisor stops its children in
// reverse start order, each by its shutdown policy: brutal_kill kills at once; a timeout cancels
// and kills what is still running after it; infinity waits. Dynamic children stop all at once.
// Virtual time (exact durations) except for the runtime-shutdown case.
#define BOOST_TEST_MODULE supervisor_shutdown
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/supervisor.hpp>
#include <libactor/testing.hpp>
#include <libactor/watch.hpp>

#include <memory>
#include <string>
#include <vector>
#include "../support/probes.hpp"
#include "../support/supervision_probes.hpp"

namespace la = libactor;
namespace lt = la::testing;
using namespace std::chrono_literals;
using ev = la::supervisor_event;
using names = std::vector<std::string>;

namespace {
// Watches every child of `sup`; yields them (id, job) in start order.
la::job<std::vector<la::child_info>> watch_all(la::supervisor sup) {
  auto kids = co_await sup.which_children();
  for (auto& k : kids)
    la::watch(k.job);
  co_return kids;
}

la::child_spec slow_child(std::shared_ptr<lt::trace> t, const char* id, la::clock::duration cleanup, la::shutdown_policy p) {
  return la::child_spec{id, [t, id, cleanup](la::ready_token r) { return lt::slow_to_stop(t, id, cleanup, r); },
                        {.shutdown = p}};
}

la::supervisor_spec worker_then(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log, la::child_spec second,
                                la::shutdown_policy first_policy) {
  la::supervisor_spec spec{"sup"};
  spec.add(lt::worker(t, "a", {.shutdown = first_policy})).add(std::move(second));
  spec.on_event(log->handler());
  return spec;
}

// a (stopped by `a_policy`), then a child that takes `cleanup` to obey a cancellation.
la::supervisor_spec with_slow(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log, la::clock::duration cleanup,
                              la::shutdown_policy slow_policy, la::shutdown_policy a_policy) {
  return worker_then(t, log, slow_child(t, "slow", cleanup, slow_policy), a_policy);
}

// a (stopped by `a_policy`), then a stubborn child `id`.
la::supervisor_spec with_stubborn(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log, const char* id,
                                  la::shutdown_policy stubborn_policy, la::shutdown_policy a_policy) {
  return worker_then(t, log, lt::stubborn_worker(t, id, {.shutdown = stubborn_policy}), a_policy);
}
} // namespace

// OTP: sup_stop_infinity (a worker with shutdown infinity is waited for, however long it takes).
LIBACTOR_TEST_CASE_WITH(stop_infinity_waits_for_a_slow_child, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto sup = co_await la::start_supervisor(
    with_slow(t, log, 30s, la::shutdown_policy::wait_forever(), la::shutdown_policy::within(1s)));
  auto kids = co_await watch_all(sup);
  auto start = la::clock::now();
  co_await sup.stop();
  BOOST_CHECK(la::clock::now() - start == 30s);
  auto downs = co_await lt::collect_downs(2);
  BOOST_CHECK_EQUAL(la::to_string(downs.at(kids[1].job.id())), "cancelled");  // not killed: it was waited for
  BOOST_CHECK_EQUAL(la::to_string(downs.at(kids[0].job.id())), "cancelled");
  BOOST_CHECK((t->ends() == names{"slow", "a"}));
  auto slow = log->of(ev::terminated, "slow");
  BOOST_REQUIRE_EQUAL(slow.size(), 1u);
  BOOST_CHECK_EQUAL(la::to_string(slow[0].reason), "cancelled");
}

// OTP: sup_stop_timeout (a child that ignores the shutdown is killed after exactly its timeout).
LIBACTOR_TEST_CASE_WITH(stop_timeout_kills_a_stubborn_child_after_exactly_its_timeout, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto sup = co_await la::start_supervisor(
    with_stubborn(t, log, "stubborn", la::shutdown_policy::within(3s), la::shutdown_policy::within(5s)));
  auto kids = co_await watch_all(sup);
  auto start = la::clock::now();
  co_await sup.stop();
  BOOST_CHECK_MESSAGE(la::clock::now() - start == 3s, "stop took " << (la::clock::now() - start).count() << " ns");
  auto downs = co_await lt::collect_downs(2);
  BOOST_CHECK_EQUAL(la::to_string(downs.at(kids[1].job.id())), "killed");
  BOOST_CHECK_EQUAL(la::to_string(downs.at(kids[0].job.id())), "cancelled");  // the obedient one
  BOOST_CHECK_EQUAL(t->end_count("stubborn"), 1);                              // its destructors ran
  BOOST_CHECK((t->ends() == names{"stubborn", "a"}));
  auto killed = log->of(ev::terminated, "stubborn");
  BOOST_REQUIRE_EQUAL(killed.size(), 1u);
  BOOST_CHECK_EQUAL(la::to_string(killed[0].reason), "killed");
  BOOST_CHECK(killed[0].at - start == 3s);
}

// OTP: sup_stop_timeout (a child that ends within its timeout is not killed).
LIBACTOR_TEST_CASE_WITH(a_child_ending_within_its_timeout_is_not_killed, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto sup = co_await la::start_supervisor(
    with_slow(t, log, 2s, la::shutdown_policy::within(3s), la::shutdown_policy::within(5s)));
  auto kids = co_await watch_all(sup);
  auto start = la::clock::now();
  co_await sup.stop();
  BOOST_CHECK(la::clock::now() - start == 2s);
  auto downs = co_await lt::collect_downs(2);
  BOOST_CHECK_EQUAL(la::to_string(downs.at(kids[1].job.id())), "cancelled");
}

// OTP: sup_stop_brutal_kill.
LIBACTOR_TEST_CASE_WITH(stop_brutal_kill_kills_at_once, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto sup = co_await la::start_supervisor(
    with_stubborn(t, log, "stubborn", la::shutdown_policy::kill(), la::shutdown_policy::kill()));
  auto kids = co_await watch_all(sup);
  auto start = la::clock::now();
  co_await sup.stop();
  BOOST_CHECK(la::clock::now() == start);
  auto downs = co_await lt::collect_downs(2);
  BOOST_CHECK_EQUAL(la::to_string(downs.at(kids[0].job.id())), "killed");
  BOOST_CHECK_EQUAL(la::to_string(downs.at(kids[1].job.id())), "killed");
  BOOST_CHECK((t->ends() == names{"stubborn", "a"}));  // destructors ran, in reverse start order
}

namespace {
la::supervisor_spec five(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log, la::restart_strategy s) {
  la::supervisor_spec spec{"sup", {.strategy = s, .intensity = 10}};
  for (auto* id : {"c1", "c2", "c3", "c4", "c5"})
    spec.add(lt::worker(t, id));
  spec.on_event(log->handler());
  return spec;
}

names terminated_order(const std::shared_ptr<lt::event_log>& log) {
  names out;
  for (auto& e : log->all())
    if (e.kind == ev::terminated)
      out.push_back(e.child);
  return out;
}

} // namespace

// OTP: order_of_children (stop, rest_for_one restart, one_for_all restart).
LIBACTOR_TEST_CASE_WITH(stops_in_reverse_start_order, lt::virtual_clock) {
  {
    auto t = std::make_shared<lt::trace>();
    auto log = lt::event_log::make(la::this_job::ref());
    auto sup = co_await la::start_supervisor(five(t, log, la::restart_strategy::one_for_one));
    co_await sup.stop();
    BOOST_CHECK((t->ends() == names{"c5", "c4", "c3", "c2", "c1"}));
    BOOST_CHECK((terminated_order(log) == names{"c5", "c4", "c3", "c2", "c1"}));
  }
  {
    auto t = std::make_shared<lt::trace>();
    auto log = lt::event_log::make(la::this_job::ref());
    auto sup = co_await la::start_supervisor(five(t, log, la::restart_strategy::rest_for_one));
    auto c2 = co_await lt::child_job(sup, "c2");
    lt::tell(c2, lt::exit_kind::failed);
    co_await lt::wait_events(log, ev::started, "c5", 2);
    BOOST_CHECK((t->ends() == names{"c2", "c5", "c4", "c3"}));
    BOOST_CHECK((lt::tail(t->starts(), 5) == names{"c2", "c3", "c4", "c5"}));
    co_await sup.stop();
  }
  {
    auto t = std::make_shared<lt::trace>();
    auto log = lt::event_log::make(la::this_job::ref());
    auto sup = co_await la::start_supervisor(five(t, log, la::restart_strategy::one_for_all));
    auto c3 = co_await lt::child_job(sup, "c3");
    lt::tell(c3, lt::exit_kind::failed);
    co_await lt::wait_events(log, ev::started, "c5", 2);
    BOOST_CHECK((t->ends() == names{"c3", "c5", "c4", "c2", "c1"}));
    BOOST_CHECK((lt::tail(t->starts(), 5) == names{"c1", "c2", "c3", "c4", "c5"}));
    co_await sup.stop();
  }
}

namespace {
la::supervisor_spec stubborn_pool(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log) {
  la::supervisor_spec spec{"pool", {.strategy = la::restart_strategy::simple_one_for_one}};
  spec.add(lt::stubborn_worker(t, "s", {.shutdown = la::shutdown_policy::within(2s)}));
  spec.on_event(log->handler());
  return spec;
}
} // namespace

// OTP: simple_one_for_one_shutdown (dynamic children are stopped all at once, under one timer).
LIBACTOR_TEST_CASE_WITH(simple_one_for_one_stops_all_at_once, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto sup = co_await la::start_supervisor(stubborn_pool(t, log));
  for (int i = 0; i < 3; ++i) {
    auto h = co_await sup.start_child();
    la::watch(h);
  }
  BOOST_CHECK_EQUAL(t->start_count("s"), 3);
  auto start = la::clock::now();
  co_await sup.stop();
  BOOST_CHECK_MESSAGE(la::clock::now() - start == 2s,
                      "stopping three stubborn children took " << (la::clock::now() - start).count() << " ns, not 2 s");
  auto downs = co_await lt::collect_downs(3);
  for (auto& [id, reason] : downs)
    BOOST_CHECK_EQUAL(la::to_string(reason), "killed");
  BOOST_CHECK_EQUAL(t->end_count("s"), 3);
}

namespace {
la::job<la::clock::time_point> count_a_second_later(la::supervisor sup) {
  co_await la::sleep(1s);
  auto counts = co_await sup.count_children();
  LIBACTOR_CHECK(counts.active == 1u);  // answered after the terminate: s has gone
  co_return la::clock::now();
}
} // namespace

// OTP: child_unlink analog: terminate_child of a child that ignores cancellation returns after its
// timeout, and calls made meanwhile are answered after it.
LIBACTOR_TEST_CASE_WITH(terminate_child_of_a_stubborn_child_returns_after_its_timeout, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto sup = co_await la::start_supervisor(
    with_stubborn(t, log, "s", la::shutdown_policy::within(4s), la::shutdown_policy::within(5s)));
  auto kids = co_await watch_all(sup);
  auto start = la::clock::now();
  auto later = la::spawn(count_a_second_later(sup));
  co_await sup.terminate_child("s");
  auto terminated_at = la::clock::now();
  auto answered = co_await later;  // (no check here while `later` may run: Boost.Test is not thread-safe)
  BOOST_CHECK(terminated_at - start == 4s);
  BOOST_CHECK(answered - start == 4s);
  auto downs = co_await lt::collect_downs(1);
  BOOST_CHECK_EQUAL(la::to_string(downs.at(kids[1].job.id())), "killed");
  auto s = co_await lt::child_entry(sup, "s");
  BOOST_REQUIRE(s);
  BOOST_CHECK(s->state == la::child_info::stopped);
  auto a = co_await lt::child_job(sup, "a");
  BOOST_CHECK(a == kids[0].job);  // untouched
  auto again = co_await sup.restart_child("s");
  BOOST_CHECK(again.valid());
  co_await sup.stop();
}

namespace {
la::supervisor_spec a_then_never_ready(std::shared_ptr<lt::trace> t) {
  la::supervisor_spec spec{"sup"};
  spec.add(lt::worker(t, "a"))
    .add(la::child_spec{"b", [t](la::ready_token r) { return lt::ends_before_ready(t, "b", 1h, false, r); }});
  return spec;
}

la::job<void> start_and_keep(std::shared_ptr<lt::trace> t) {
  auto sup = co_await la::start_supervisor(a_then_never_ready(t));
  co_await sup.stop();
}
} // namespace

// A start that is cancelled while a child is still getting ready stops what it started.
LIBACTOR_TEST_CASE_WITH(cancelled_while_starting_a_child_stops_it, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto starter = la::spawn(start_and_keep(t));
  co_await la::sleep(1s);
  BOOST_CHECK((t->starts() == names{"a", "b"}));
  BOOST_CHECK(t->ends().empty());
  starter.cancel();
  BOOST_CHECK(co_await lt::is_cancelled(starter));
  BOOST_CHECK((t->ends() == names{"b", "a"}));
}

// A killed supervisor (its frame torn down) still cancels its children: nothing is orphaned.
LIBACTOR_TEST_CASE_WITH(killed_supervisor_cancels_its_children, lt::virtual_clock) {
  auto baseline = la::live_job_frames();
  auto t = std::make_shared<lt::trace>();
  auto sup = co_await la::start_supervisor(lt::abc(t, nullptr, {}));
  auto kids = co_await watch_all(sup);
  la::watch(sup);
  lt::kill(sup);
  auto downs = co_await lt::collect_downs(4);
  BOOST_CHECK_EQUAL(la::to_string(downs.at(sup.id())), "killed");
  for (auto& k : kids)
    BOOST_CHECK_EQUAL(la::to_string(downs.at(k.job.id())), "cancelled");
  BOOST_CHECK_EQUAL(t->ends().size(), 3u);
  auto frames = co_await lt::frames_settle(baseline);
  BOOST_CHECK_EQUAL(frames, baseline);
}

// -- runtime shutdown (real time) ------------------------------------------------------------------

namespace {
la::supervisor_spec sub_tree(std::shared_ptr<lt::trace> t) {
  la::supervisor_spec spec{"sub"};
  spec.add(lt::worker(t, "s1")).add(lt::worker(t, "s2"));
  return spec;
}

la::supervisor_spec whole_tree(std::shared_ptr<lt::trace> t) {
  la::supervisor_spec spec{"top"};
  spec.add(lt::worker(t, "c1"))
    .add(la::child_spec{"sub", [t](la::ready_token r) { return la::supervise(sub_tree(t), r); },
                        {.kind = la::child_kind::supervisor}})
    .add(lt::worker(t, "c3"));
  return spec;
}

la::job<void> leave_the_tree_running(std::shared_ptr<lt::trace> t) {
  auto sup = co_await la::start_supervisor(whole_tree(t));
  BOOST_CHECK((t->starts() == names{"c1", "s1", "s2", "c3"}));
  // main returns with the tree running: run()'s shutdown stops it.
}
} // namespace

// OTP: an application's supervision tree is shut down top-down, each level in reverse start order.
BOOST_AUTO_TEST_CASE(runtime_shutdown_stops_the_tree_in_reverse_order) {
  auto t = std::make_shared<lt::trace>();
  auto before = la::live_job_frames();
  int rc = la::run(leave_the_tree_running(t), la::runtime_config{.threads = 2});
  BOOST_CHECK_EQUAL(rc, 0);
  BOOST_CHECK((t->ends() == names{"c3", "s2", "s1", "c1"}));
  BOOST_CHECK_EQUAL(la::live_job_frames(), before);
}
