// Supervision trees and supervisors under load (OTP supervisor_SUITE: tree, count_children,
// count_children_supervisor, count_restarting_children, hanging_restart_loop, many_start_stop).
// A sub-supervisor that gives up fails, and its own supervisor restarts it like any child; counts
// follow OTP's count_children; a restart that keeps failing never keeps calls from being answered.
// Virtual time throughout.
#define BOOST_TEST_MODULE supervisor_tree
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/supervisor.hpp>
#include <libactor/testing.hpp>
#include <libactor/watch.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <vector>
#include "../support/supervision_probes.hpp"

namespace la = libactor;
namespace lt = la::testing;
using namespace std::chrono_literals;
using ev = la::supervisor_event;
using names = std::vector<std::string>;

namespace {
la::supervisor_spec sub_spec(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log, const char* name,
                             const char* w1, const char* w2, unsigned intensity) {
  la::supervisor_spec spec{name, {.intensity = intensity, .period = 10s}};
  spec.add(lt::worker(t, w1)).add(lt::worker(t, w2));
  spec.on_event(log->handler());
  return spec;
}

// top (one_for_all) over sub1 {w1a, w1b} and sub2 {w2a, w2b}; sub2 gives up at its second restart.
la::supervisor_spec tree_spec(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log) {
  la::supervisor_spec spec{"top", {.strategy = la::restart_strategy::one_for_all, .intensity = 3, .period = 10s}};
  la::child_options sup_kind{.kind = la::child_kind::supervisor};
  spec.add(la::child_spec{"sub1", [t, log](la::ready_token r) { return la::supervise(sub_spec(t, log, "sub1", "w1a", "w1b", 3), r); },
                          sup_kind})
    .add(la::child_spec{"sub2", [t, log](la::ready_token r) { return la::supervise(sub_spec(t, log, "sub2", "w2a", "w2b", 1), r); },
                        sup_kind});
  spec.on_event(log->handler());
  return spec;
}

} // namespace

// OTP: tree (the escalation of a sub-supervisor restarts the tree; dynamic children are not restored).
LIBACTOR_TEST_CASE_WITH(escalation_of_a_subsupervisor_restarts_the_tree, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto top = co_await la::start_supervisor(tree_spec(t, log));
  BOOST_CHECK((t->starts() == names{"w1a", "w1b", "w2a", "w2b"}));
  auto kids = co_await top.which_children();
  BOOST_REQUIRE_EQUAL(kids.size(), 2u);
  for (auto& k : kids) {
    BOOST_CHECK(k.kind == la::child_kind::supervisor);
    BOOST_CHECK(k.state == la::child_info::running);
  }
  auto counts = co_await top.count_children();
  BOOST_CHECK_EQUAL(counts.specs, 2u);
  BOOST_CHECK_EQUAL(counts.active, 2u);
  BOOST_CHECK_EQUAL(counts.supervisors, 2u);
  BOOST_CHECK_EQUAL(counts.workers, 0u);

  la::supervisor sub1{kids[0].job};
  la::supervisor sub2{kids[1].job};
  co_await sub1.start_child(lt::worker(t, "extra"));
  auto ids = co_await lt::child_ids(sub1);
  BOOST_CHECK((ids == names{"w1a", "w1b", "extra"}));

  // sub2 restarts w2a once; the second failure within its period is one too many.
  auto w2a = co_await lt::child_job(sub2, "w2a");
  lt::tell(w2a, lt::exit_kind::failed);
  co_await lt::wait_events(log, ev::started, "w2a", 2);
  BOOST_CHECK_EQUAL(log->count(ev::started, "sub2"), 1u);  // top saw nothing of it
  la::watch(sub1);
  la::watch(sub2);
  auto mark = t->ends().size();
  w2a = co_await lt::child_job(sub2, "w2a");
  lt::tell(w2a, lt::exit_kind::failed);
  co_await lt::wait_events(log, ev::started, "sub2", 2);  // top restarted both subs (one_for_all)

  auto downs = co_await lt::collect_downs(2);
  BOOST_CHECK_EQUAL(la::to_string(downs.at(sub2.id())), "failed");
  BOOST_CHECK_EQUAL(la::to_string(downs.at(sub1.id())), "cancelled");
  auto sub2_end = log->of(ev::exited, "sub2");
  BOOST_REQUIRE_EQUAL(sub2_end.size(), 1u);
  BOOST_CHECK_EQUAL(la::to_string(sub2_end[0].reason), "failed");
  auto why = lt::as_supervisor_error(sub2_end[0].error);
  BOOST_REQUIRE_MESSAGE(why, "sub2 should have failed with supervisor_error, got: " << lt::what_of(sub2_end[0].error));
  BOOST_CHECK_EQUAL(lt::errc_name(why->code()), "restart_intensity_exceeded");
  BOOST_CHECK_EQUAL(why->child_id(), "w2a");
  // sub2 stopped w2b; then top stopped sub1, which stopped its children in reverse order.
  BOOST_CHECK((lt::tail(t->ends(), mark) == names{"w2a", "w2b", "extra", "w1b", "w1a"}));

  auto after = co_await top.which_children();
  BOOST_REQUIRE_EQUAL(after.size(), 2u);
  BOOST_CHECK(after[0].job.valid() && after[0].job.id() != sub1.id());
  BOOST_CHECK(after[1].job.valid() && after[1].job.id() != sub2.id());
  la::supervisor new_sub1{after[0].job};
  ids = co_await lt::child_ids(new_sub1);
  BOOST_CHECK((ids == names{"w1a", "w1b"}));  // the dynamic child is not restored
  BOOST_CHECK_EQUAL(t->start_count("w1a"), 2);
  BOOST_CHECK_EQUAL(t->start_count("w1b"), 2);
  BOOST_CHECK_EQUAL(t->start_count("w2a"), 3);
  BOOST_CHECK_EQUAL(t->start_count("w2b"), 2);
  BOOST_CHECK_EQUAL(t->start_count("extra"), 1);
  BOOST_CHECK(!top.done());
  co_await top.stop();
  BOOST_CHECK_EQUAL(t->ends().size(), t->starts().size());  // the whole tree has gone
}

namespace {
la::child_spec idle_spec(la::child_options options) {
  return la::child_spec{"w", [] { return lt::idle_child(); }, options};
}

la::supervisor_spec idle_pool(std::shared_ptr<lt::event_log> log, la::restart_type type) {
  la::supervisor_spec spec{"pool", {.strategy = la::restart_strategy::simple_one_for_one}};
  spec.add(idle_spec({.restart = type}));
  if (log)
    spec.on_event(log->handler());
  return spec;
}

la::job<bool> counts_are(la::supervisor sup, std::size_t specs, std::size_t active, std::size_t supervisors,
                         std::size_t workers) {
  auto c = co_await sup.count_children();
  BOOST_CHECK_EQUAL(c.specs, specs);
  BOOST_CHECK_EQUAL(c.active, active);
  BOOST_CHECK_EQUAL(c.supervisors, supervisors);
  BOOST_CHECK_EQUAL(c.workers, workers);
  co_return c.specs == specs && c.active == active && c.supervisors == supervisors && c.workers == workers;
}
} // namespace

// OTP: count_children (1000 temporary dynamic children).
LIBACTOR_TEST_CASE_WITH(count_children_of_1000_temporary_children, lt::virtual_clock) {
  auto log = lt::event_log::make(la::this_job::ref());
  auto sup = co_await la::start_supervisor(idle_pool(log, la::restart_type::temporary));
  std::vector<la::handle<void>> kids;
  for (int i = 0; i < 1000; ++i) {
    auto h = co_await sup.start_child();
    kids.push_back(h);
  }
  co_await counts_are(sup, 1000, 1000, 0, 1000);
  for (int i = 0; i < 500; ++i)
    co_await sup.terminate_child(kids[i]);
  co_await counts_are(sup, 500, 500, 0, 500);
  for (int i = 500; i < 750; ++i)
    lt::tell(kids[i], lt::exit_kind::normal);
  co_await lt::wait_events(log, ev::exited, 250);
  co_await counts_are(sup, 250, 250, 0, 250);  // ended temporary children are gone
  co_await sup.stop();
}

namespace {
la::supervisor_spec small_sub(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log) {
  la::supervisor_spec spec{"sub"};
  spec.add(lt::worker(t, "s1"));
  spec.on_event(log->handler());
  return spec;
}

la::supervisor_spec workers_and_a_sub(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log) {
  la::supervisor_spec spec{"top"};
  spec.add(lt::worker(t, "w1"))
    .add(la::child_spec{"sub", [t, log](la::ready_token r) { return la::supervise(small_sub(t, log), r); },
                        {.kind = la::child_kind::supervisor}})
    .add(lt::worker(t, "w2"));
  spec.on_event(log->handler());
  return spec;
}
} // namespace

// OTP: count_children_supervisor (supervisors and workers count specs; active counts running jobs).
LIBACTOR_TEST_CASE_WITH(count_children_by_kind, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto sup = co_await la::start_supervisor(workers_and_a_sub(t, log));
  co_await counts_are(sup, 3, 3, 1, 2);
  co_await sup.terminate_child("sub");
  co_await counts_are(sup, 3, 2, 1, 2);
  BOOST_CHECK_EQUAL(t->end_count("s1"), 1);  // stopping the sub stopped its child
  co_await sup.terminate_child("w1");
  co_await counts_are(sup, 3, 1, 1, 2);
  co_await sup.stop();
}

namespace {
la::supervisor_spec refusing_restart(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log,
                                     std::shared_ptr<std::atomic<int>> calls) {
  la::supervisor_spec spec{"sup", {.intensity = 10, .period = 10s,
                                   .backoff = {.min = 1s, .max = 1s, .random_factor = 0, .seed = 1}}};
  spec.add(la::child_spec{"a", lt::refuses(2, 2, calls, lt::controllable_factory(t, "a"))}).add(lt::worker(t, "b"));
  spec.on_event(log->handler());
  return spec;
}
} // namespace

// OTP: count_restarting_children (a child waiting to restart is no active child).
LIBACTOR_TEST_CASE_WITH(restarting_children_are_not_active, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto sup = co_await la::start_supervisor(refusing_restart(t, log, calls));
  auto a = co_await lt::child_job(sup, "a");
  lt::tell(a, lt::exit_kind::failed);
  co_await lt::wait_events(log, ev::restarting, "a", 1);
  co_await counts_are(sup, 2, 1, 0, 2);
  co_await lt::wait_events(log, ev::start_failed, "a", 1);  // the first restart failed: waiting again
  co_await counts_are(sup, 2, 1, 0, 2);
  auto entry = co_await lt::child_entry(sup, "a");
  BOOST_REQUIRE(entry);
  BOOST_CHECK(entry->state == la::child_info::restarting);
  co_await lt::wait_events(log, ev::started, "a", 2);
  co_await counts_are(sup, 2, 2, 0, 2);
  BOOST_CHECK_EQUAL(calls->load(), 3);
  co_await sup.stop();
}

namespace {
// h starts fine once; every later start takes 2 s and then fails (before ready).
la::child_spec hanging_h(std::shared_ptr<lt::trace> t, std::shared_ptr<std::atomic<int>> calls) {
  return la::child_spec{"h", [t, calls](la::ready_token r) -> la::job<void> {
                          if (++*calls == 1)
                            return lt::controllable(t, "h", r);
                          return lt::ends_before_ready(t, "h", 2s, true, r);
                        }};
}

la::supervisor_spec with_hanging_h(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log,
                                   std::shared_ptr<std::atomic<int>> calls) {
  la::supervisor_spec spec{"sup", {.intensity = 8, .period = 10s}};
  spec.add(lt::worker(t, "a")).add(hanging_h(t, calls));
  spec.on_event(log->handler());
  return spec;
}
} // namespace

// OTP: hanging_restart_loop (calls are answered between the tries of a restart that keeps failing,
// and terminate_child ends the loop).
LIBACTOR_TEST_CASE_WITH(hanging_restart_loop, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto sup = co_await la::start_supervisor(with_hanging_h(t, log, calls));
  auto a = co_await lt::child_job(sup, "a");
  auto h = co_await lt::child_job(sup, "h");
  lt::tell(h, lt::exit_kind::failed);
  co_await lt::wait_events(log, ev::start_failed, "h", 2);

  auto entry = co_await lt::child_entry(sup, "h");
  BOOST_REQUIRE(entry);
  BOOST_CHECK(entry->state == la::child_info::restarting);
  BOOST_CHECK(!entry->job.valid());
  auto e = co_await lt::sup_error(sup.restart_child("h"));
  BOOST_CHECK_EQUAL(lt::code_of(e), "restarting");
  e = co_await lt::sup_error(sup.delete_child("h"));
  BOOST_CHECK_EQUAL(lt::code_of(e), "restarting");
  auto counts = co_await sup.count_children();
  BOOST_CHECK_EQUAL(counts.specs, 2u);
  BOOST_CHECK_EQUAL(counts.active, 1u);

  co_await sup.terminate_child("h");
  entry = co_await lt::child_entry(sup, "h");
  BOOST_REQUIRE(entry);
  BOOST_CHECK(entry->state == la::child_info::stopped);
  int tries = calls->load();
  auto failures = log->count(ev::start_failed, "h");
  co_await la::sleep(30s);
  BOOST_CHECK_EQUAL(calls->load(), tries);  // the loop has ended
  BOOST_CHECK_EQUAL(log->count(ev::start_failed, "h"), failures);
  BOOST_CHECK(!sup.done());  // tries 2 s apart stay within 8 per 10 s: no escalation
  BOOST_CHECK_EQUAL(log->count(ev::escalated), 0u);
  auto a_now = co_await lt::child_job(sup, "a");
  BOOST_CHECK(a_now == a);
  co_await sup.stop();
}

// OTP: hanging_restart_loop (the supervisor can be stopped in the middle of the loop).
LIBACTOR_TEST_CASE_WITH(stop_during_a_hanging_restart_loop_returns, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto sup = co_await la::start_supervisor(with_hanging_h(t, log, calls));
  auto h = co_await lt::child_job(sup, "h");
  lt::tell(h, lt::exit_kind::failed);
  co_await lt::wait_events(log, ev::start_failed, "h", 2);
  auto before = la::clock::now();
  bool stopped = co_await la::move_on_after(1min, sup.stop());
  BOOST_CHECK(stopped);
  BOOST_CHECK(sup.done());
  BOOST_CHECK(la::clock::now() - before <= 2s);  // at most the try under way
  int tries = calls->load();
  co_await la::sleep(30s);
  BOOST_CHECK_EQUAL(calls->load(), tries);
  BOOST_CHECK_EQUAL(t->ends().size(), t->starts().size());  // every incarnation and try has ended
}

// OTP: many_start_stop / scale: 10 000 dynamic children started one by one and stopped at once;
// every frame is gone afterwards.
LIBACTOR_TEST_CASE_WITH(ten_thousand_children_start_and_stop, lt::virtual_clock) {
  auto baseline = la::live_job_frames();
  {
    auto sup = co_await la::start_supervisor(idle_pool(nullptr, la::restart_type::permanent));
    for (int i = 0; i < 10'000; ++i)
      co_await sup.start_child();
    auto counts = co_await sup.count_children();
    BOOST_CHECK_EQUAL(counts.specs, 10'000u);
    BOOST_CHECK_EQUAL(counts.active, 10'000u);
    BOOST_CHECK(la::live_job_frames() >= baseline + 10'000);
    auto start = la::clock::now();
    co_await sup.stop();
    BOOST_CHECK(la::clock::now() == start);  // all cancelled at once, and they obey at once
  }
  auto frames = co_await lt::frames_settle(baseline);
  BOOST_CHECK_EQUAL(frames, baseline);
}
