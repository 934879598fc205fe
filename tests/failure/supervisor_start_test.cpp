// Starting supervisors and the calls on their children (OTP supervisor_SUITE: sup_start_*,
// child_adm, child_adm_simple, child_specs, sup_flags). Children start in order, synchronously; a
// child that cannot start stops those started, in reverse, and fails the start with its id and
// cause; the calls keep OTP's error codes; invalid specs are usage errors. Virtual time throughout.
#define BOOST_TEST_MODULE supervisor_start
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
// a, b, then `third`, then d.
la::supervisor_spec ab_x_d(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log, la::child_spec third) {
  la::supervisor_spec spec{"sup"};
  spec.add(lt::worker(t, "a")).add(lt::worker(t, "b")).add(std::move(third)).add(lt::worker(t, "d"));
  spec.on_event(log->handler());
  return spec;
}

la::child_spec refusing_c(std::shared_ptr<lt::trace> t, std::shared_ptr<std::atomic<int>> calls) {
  return la::child_spec{"c", lt::refuses(1, 1000, calls, lt::controllable_factory(t, "c"))};
}

la::child_spec never_ready_c(std::shared_ptr<lt::trace> t, bool throws) {
  return la::child_spec{"c", [t, throws](la::ready_token r) { return lt::ends_before_ready(t, "c", 1s, throws, r); }};
}

names started_children(const std::shared_ptr<lt::event_log>& log) {
  names out;
  for (auto& e : log->all())
    if (e.kind == ev::started)
      out.push_back(e.child);
  return out;
}
} // namespace

// OTP: sup_start_normal, order_of_children (start half).
LIBACTOR_TEST_CASE_WITH(starts_children_in_order, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto sup = co_await la::start_supervisor(lt::abc(t, log, {.intensity = 10}));
  // start_supervisor returned only once every child had started, one after the other.
  BOOST_CHECK((t->starts() == names{"a", "b", "c"}));
  BOOST_CHECK((started_children(log) == names{"a", "b", "c"}));
  auto kids = co_await sup.which_children();
  BOOST_REQUIRE_EQUAL(kids.size(), 3u);
  const char* expected[] = {"a", "b", "c"};
  for (std::size_t i = 0; i < 3; ++i) {
    BOOST_CHECK_EQUAL(kids[i].id, expected[i]);
    BOOST_CHECK(kids[i].state == la::child_info::running);
    BOOST_CHECK(kids[i].kind == la::child_kind::worker);
    BOOST_CHECK_EQUAL(kids[i].restarts, 0u);
    BOOST_REQUIRE(kids[i].job.valid());
    BOOST_CHECK_EQUAL(kids[i].job.id(), t->last_job(expected[i]));
  }
  auto counts = co_await sup.count_children();
  BOOST_CHECK_EQUAL(counts.specs, 3u);
  BOOST_CHECK_EQUAL(counts.active, 3u);
  BOOST_CHECK_EQUAL(counts.workers, 3u);
  BOOST_CHECK_EQUAL(counts.supervisors, 0u);
  BOOST_CHECK(!sup.done());
  co_await sup.stop();
  BOOST_CHECK(sup.done());
}

// OTP: sup_start_fail, sup_start_child_returns_error.
LIBACTOR_TEST_CASE_WITH(a_factory_that_throws_fails_the_start_with_id_and_cause, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto err = co_await lt::sup_error(la::start_supervisor(ab_x_d(t, log, refusing_c(t, calls))));
  BOOST_REQUIRE_MESSAGE(err, "start_supervisor should have thrown supervisor_error");
  BOOST_CHECK_EQUAL(lt::errc_name(err->code()), "start_failed");
  BOOST_CHECK_EQUAL(err->child_id(), "c");
  BOOST_CHECK_EQUAL(lt::what_of(err->cause()), "start refused");
  BOOST_CHECK_EQUAL(calls->load(), 1);
  // The started ones were stopped in reverse order; d was never started.
  BOOST_CHECK((t->starts() == names{"a", "b"}));
  BOOST_CHECK((t->ends() == names{"b", "a"}));
  BOOST_CHECK_EQUAL(log->count(ev::start_failed, "c"), 1u);
  BOOST_CHECK_EQUAL(log->count(ev::started, "d"), 0u);
  auto b_end = log->of(ev::terminated, "b");
  BOOST_REQUIRE_EQUAL(b_end.size(), 1u);
  BOOST_CHECK_EQUAL(la::to_string(b_end[0].reason), "cancelled");
}

// OTP: sup_start_fail (a child that fails in its init).
LIBACTOR_TEST_CASE_WITH(a_child_failing_before_ready_fails_the_start, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto start = la::clock::now();
  auto err = co_await lt::sup_error(la::start_supervisor(ab_x_d(t, log, never_ready_c(t, true))));
  BOOST_REQUIRE_MESSAGE(err, "start_supervisor should have thrown supervisor_error");
  BOOST_CHECK_EQUAL(lt::errc_name(err->code()), "start_failed");
  BOOST_CHECK_EQUAL(err->child_id(), "c");
  BOOST_CHECK_EQUAL(lt::what_of(err->cause()), "c refused to start");
  BOOST_CHECK(la::clock::now() - start == 1s);  // the start waited for c until it failed
  BOOST_CHECK((t->starts() == names{"a", "b", "c"}));
  BOOST_CHECK((t->ends() == names{"c", "b", "a"}));
}

// OTP: sup_start_error_return (a start that gives no running child): it returns before ready().
LIBACTOR_TEST_CASE_WITH(a_child_ending_before_ready_fails_the_start, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto err = co_await lt::sup_error(la::start_supervisor(ab_x_d(t, log, never_ready_c(t, false))));
  BOOST_REQUIRE_MESSAGE(err, "start_supervisor should have thrown supervisor_error");
  BOOST_CHECK_EQUAL(lt::errc_name(err->code()), "start_failed");
  BOOST_CHECK_EQUAL(err->child_id(), "c");
  BOOST_CHECK((t->ends() == names{"c", "b", "a"}));
  BOOST_CHECK_EQUAL(t->start_count("d"), 0);
}

namespace {
la::supervisor_spec sub_failing(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log) {
  la::supervisor_spec spec{"sub"};
  spec.add(lt::worker(t, "s1"))
    .add(la::child_spec{"s2", lt::refuses(1, 1000, std::make_shared<std::atomic<int>>(0), lt::controllable_factory(t, "s2"))})
    .add(lt::worker(t, "s3"));
  spec.on_event(log->handler());
  return spec;
}

la::supervisor_spec top_with_failing_sub(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log) {
  la::supervisor_spec spec{"top"};
  spec.add(lt::worker(t, "a"))
    .add(la::child_spec{"sub", [t, log](la::ready_token r) { return la::supervise(sub_failing(t, log), r); },
                        {.kind = la::child_kind::supervisor}})
    .add(lt::worker(t, "z"));
  spec.on_event(log->handler());
  return spec;
}
} // namespace

// OTP: faulty_application_shutdown (a nested start failure reaches the top).
LIBACTOR_TEST_CASE_WITH(start_failure_propagates_through_nested_supervisors, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto err = co_await lt::sup_error(la::start_supervisor(top_with_failing_sub(t, log)));
  BOOST_REQUIRE_MESSAGE(err, "start_supervisor should have thrown supervisor_error");
  BOOST_CHECK_EQUAL(lt::errc_name(err->code()), "start_failed");
  BOOST_CHECK_EQUAL(err->child_id(), "sub");
  auto inner = lt::as_supervisor_error(err->cause());
  BOOST_REQUIRE_MESSAGE(inner, "the cause should be the sub-supervisor's supervisor_error, got: " << lt::what_of(err->cause()));
  BOOST_CHECK_EQUAL(lt::errc_name(inner->code()), "start_failed");
  BOOST_CHECK_EQUAL(inner->child_id(), "s2");
  BOOST_CHECK_EQUAL(lt::what_of(inner->cause()), "start refused");
  // sub stopped s1, then top stopped a; s3 and z never started.
  BOOST_CHECK((t->starts() == names{"a", "s1"}));
  BOOST_CHECK((t->ends() == names{"s1", "a"}));
}

namespace {
la::supervisor_spec just_a(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log, la::supervisor_flags flags) {
  la::supervisor_spec spec{"sup", flags};
  spec.add(lt::worker(t, "a"));
  spec.on_event(log->handler());
  return spec;
}

la::child_spec temporary_worker(std::shared_ptr<lt::trace> t, const char* id) {
  return lt::worker(t, id, {.restart = la::restart_type::temporary});
}
} // namespace

// OTP: child_adm.
LIBACTOR_TEST_CASE_WITH(child_admin, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  la::supervisor_flags flags{.intensity = 10};
  auto sup = co_await la::start_supervisor(just_a(t, log, flags));

  // start_child adds a child after the others and starts it before returning.
  auto b1 = co_await sup.start_child(lt::worker(t, "b"));
  BOOST_REQUIRE(b1.valid());
  BOOST_CHECK(!b1.done());
  BOOST_CHECK_EQUAL(t->start_count("b"), 1);
  auto ids = co_await lt::child_ids(sup);
  BOOST_CHECK((ids == names{"a", "b"}));

  auto e = co_await lt::sup_error(sup.start_child(lt::worker(t, "b")));
  BOOST_CHECK_EQUAL(lt::code_of(e), "already_started");
  BOOST_CHECK_EQUAL(t->start_count("b"), 1);

  // terminate_child stops it (cancelled) and keeps its spec.
  la::watch(b1);
  co_await sup.terminate_child("b");
  auto downs = co_await lt::collect_downs(1);
  BOOST_CHECK_EQUAL(la::to_string(downs[b1.id()]), "cancelled");
  auto entry = co_await lt::child_entry(sup, "b");
  BOOST_REQUIRE(entry);
  BOOST_CHECK(entry->state == la::child_info::stopped);
  BOOST_CHECK(!entry->job.valid());
  auto counts = co_await sup.count_children();
  BOOST_CHECK_EQUAL(counts.specs, 2u);
  BOOST_CHECK_EQUAL(counts.active, 1u);
  BOOST_CHECK_EQUAL(counts.workers, 2u);

  e = co_await lt::sup_error(sup.start_child(lt::worker(t, "b")));
  BOOST_CHECK_EQUAL(lt::code_of(e), "already_present");

  // restart_child starts the stopped child again, from its kept spec.
  auto b2 = co_await sup.restart_child("b");
  BOOST_REQUIRE(b2.valid());
  BOOST_CHECK(b2.id() != b1.id());
  BOOST_CHECK_EQUAL(t->start_count("b"), 2);
  entry = co_await lt::child_entry(sup, "b");
  BOOST_REQUIRE(entry);
  BOOST_CHECK(entry->state == la::child_info::running);

  // Only a stopped child can be restarted or deleted.
  e = co_await lt::sup_error(sup.restart_child("b"));
  BOOST_CHECK_EQUAL(lt::code_of(e), "running");
  e = co_await lt::sup_error(sup.delete_child("b"));
  BOOST_CHECK_EQUAL(lt::code_of(e), "running");
  co_await sup.terminate_child("b");
  co_await sup.delete_child("b");
  ids = co_await lt::child_ids(sup);
  BOOST_CHECK((ids == names{"a"}));

  e = co_await lt::sup_error(sup.terminate_child("nope"));
  BOOST_CHECK_EQUAL(lt::code_of(e), "not_found");
  e = co_await lt::sup_error(sup.restart_child("nope"));
  BOOST_CHECK_EQUAL(lt::code_of(e), "not_found");
  e = co_await lt::sup_error(sup.delete_child("nope"));
  BOOST_CHECK_EQUAL(lt::code_of(e), "not_found");
  e = co_await lt::sup_error(sup.delete_child("b"));  // deleted above
  BOOST_CHECK_EQUAL(lt::code_of(e), "not_found");

  // A temporary child's spec goes when it is terminated.
  auto tmp = co_await sup.start_child(temporary_worker(t, "tmp"));
  BOOST_CHECK(tmp.valid());
  ids = co_await lt::child_ids(sup);
  BOOST_CHECK((ids == names{"a", "tmp"}));
  co_await sup.terminate_child("tmp");
  ids = co_await lt::child_ids(sup);
  BOOST_CHECK((ids == names{"a"}));
  e = co_await lt::sup_error(sup.restart_child("tmp"));
  BOOST_CHECK_EQUAL(lt::code_of(e), "not_found");

  // a was never touched.
  BOOST_CHECK_EQUAL(t->start_count("a"), 1);
  BOOST_CHECK_EQUAL(t->end_count("a"), 0);
  co_await sup.stop();
}

namespace {
la::child_spec flaky_f(std::shared_ptr<lt::trace> t, std::shared_ptr<std::atomic<int>> calls) {
  return la::child_spec{"f", lt::refuses(2, 2, calls, lt::controllable_factory(t, "f"))};
}
} // namespace

// OTP: sup_start_restart_child_returns_error.
LIBACTOR_TEST_CASE_WITH(restart_child_failure_leaves_it_stopped, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto calls = std::make_shared<std::atomic<int>>(0);
  la::supervisor_flags flags{.intensity = 10};
  auto sup = co_await la::start_supervisor(just_a(t, log, flags));
  co_await sup.start_child(flaky_f(t, calls));
  co_await sup.terminate_child("f");
  auto e = co_await lt::sup_error(sup.restart_child("f"));  // the factory's second call throws
  BOOST_CHECK_EQUAL(lt::code_of(e), "start_failed");
  if (e) {
    BOOST_CHECK_EQUAL(e->child_id(), "f");
    BOOST_CHECK_EQUAL(lt::what_of(e->cause()), "start refused");
  }
  auto entry = co_await lt::child_entry(sup, "f");
  BOOST_REQUIRE(entry);
  BOOST_CHECK(entry->state == la::child_info::stopped);
  BOOST_CHECK(!sup.done());  // a refused restart_child is no restart to count, and no escalation
  auto f = co_await sup.restart_child("f");  // the third call works
  BOOST_CHECK(f.valid());
  entry = co_await lt::child_entry(sup, "f");
  BOOST_REQUIRE(entry);
  BOOST_CHECK(entry->state == la::child_info::running);
  BOOST_CHECK_EQUAL(calls->load(), 3);
  co_await sup.stop();
}

// OTP: child_adm (restart_child and delete_child answer {error, restarting}).
LIBACTOR_TEST_CASE_WITH(restart_and_delete_are_refused_while_restarting, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  la::supervisor_flags flags{.intensity = 10, .backoff = {.min = 1s, .max = 1s, .random_factor = 0}};
  auto sup = co_await la::start_supervisor(just_a(t, log, flags));
  auto a = co_await lt::child_job(sup, "a");
  lt::tell(a, lt::exit_kind::failed);
  co_await lt::wait_events(log, ev::restarting, "a", 1);
  auto e = co_await lt::sup_error(sup.restart_child("a"));
  BOOST_CHECK_EQUAL(lt::code_of(e), "restarting");
  e = co_await lt::sup_error(sup.delete_child("a"));
  BOOST_CHECK_EQUAL(lt::code_of(e), "restarting");
  co_await lt::wait_events(log, ev::started, "a", 2);
  auto entry = co_await lt::child_entry(sup, "a");
  BOOST_REQUIRE(entry);
  BOOST_CHECK(entry->state == la::child_info::running);
  co_await sup.stop();
}

namespace {
la::supervisor_spec simple_w(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log) {
  la::supervisor_spec spec{"pool", {.strategy = la::restart_strategy::simple_one_for_one, .intensity = 10}};
  spec.add(lt::plain_worker(t, "w", {.restart = la::restart_type::transient}));
  spec.on_event(log->handler());
  return spec;
}
} // namespace

// OTP: child_adm_simple.
LIBACTOR_TEST_CASE_WITH(child_admin_simple, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto sup = co_await la::start_supervisor(simple_w(t, log));
  auto counts = co_await sup.count_children();
  BOOST_CHECK_EQUAL(counts.specs, 0u);  // the template is no child
  BOOST_CHECK_EQUAL(counts.active, 0u);

  auto h1 = co_await sup.start_child();
  auto h2 = co_await sup.start_child();
  BOOST_REQUIRE(h1.valid());
  BOOST_REQUIRE(h2.valid());
  BOOST_CHECK(h1.id() != h2.id());
  counts = co_await sup.count_children();
  BOOST_CHECK_EQUAL(counts.specs, 2u);
  BOOST_CHECK_EQUAL(counts.active, 2u);
  BOOST_CHECK_EQUAL(counts.workers, 2u);

  // Calls by id make no sense without ids.
  auto e = co_await lt::sup_error(sup.terminate_child("w"));
  BOOST_CHECK_EQUAL(lt::code_of(e), "simple_one_for_one");
  e = co_await lt::sup_error(sup.restart_child("w"));
  BOOST_CHECK_EQUAL(lt::code_of(e), "simple_one_for_one");
  e = co_await lt::sup_error(sup.delete_child("w"));
  BOOST_CHECK_EQUAL(lt::code_of(e), "simple_one_for_one");
  e = co_await lt::sup_error(sup.start_child(lt::worker(t, "x")));
  BOOST_CHECK_EQUAL(lt::code_of(e), "simple_one_for_one");

  // Terminated by its job: stopped (cancelled) and removed.
  la::watch(h1);
  co_await sup.terminate_child(h1);
  auto downs = co_await lt::collect_downs(1);
  BOOST_CHECK_EQUAL(la::to_string(downs[h1.id()]), "cancelled");
  auto kids = co_await sup.which_children();
  BOOST_REQUIRE_EQUAL(kids.size(), 1u);
  BOOST_CHECK(kids[0].job.valid() && kids[0].job.id() == h2.id());
  e = co_await lt::sup_error(sup.terminate_child(h1));
  BOOST_CHECK_EQUAL(lt::code_of(e), "not_found");

  // start_child(factory): the template's options (transient: a normal end removes it), this factory.
  auto h3 = co_await sup.start_child(lt::controllable_factory(t, "custom"));
  la::watch(h3);
  lt::tell(h3, lt::exit_kind::normal);
  downs = co_await lt::collect_downs(1);
  BOOST_CHECK_EQUAL(la::to_string(downs[h3.id()]), "normal");
  BOOST_CHECK_EQUAL(t->start_count("custom"), 1);
  co_await lt::wait_events(log, ev::exited, 1);
  counts = co_await sup.count_children();
  BOOST_CHECK_EQUAL(counts.specs, 1u);
  BOOST_CHECK_EQUAL(counts.active, 1u);
  co_await sup.stop();
}

namespace {
la::supervisor_spec duplicate_ids(std::shared_ptr<lt::trace> t) {
  la::supervisor_spec spec{"bad"};
  spec.add(lt::worker(t, "a")).add(lt::worker(t, "a"));
  return spec;
}
la::supervisor_spec empty_id(std::shared_ptr<lt::trace> t) {
  la::supervisor_spec spec{"bad"};
  spec.add(lt::worker(t, ""));
  return spec;
}
la::supervisor_spec zero_period(std::shared_ptr<lt::trace> t) {
  la::supervisor_spec spec{"bad", {.period = la::clock::duration::zero()}};
  spec.add(lt::worker(t, "a"));
  return spec;
}
la::supervisor_spec simple_with(std::shared_ptr<lt::trace> t, int templates) {
  la::supervisor_spec spec{"bad", {.strategy = la::restart_strategy::simple_one_for_one}};
  if (templates > 0)
    spec.add(lt::plain_worker(t, "w1"));
  if (templates > 1)
    spec.add(lt::plain_worker(t, "w2"));
  return spec;
}
la::supervisor_spec zero_intensity(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log) {
  la::supervisor_spec spec{"strict", {.intensity = 0}};
  spec.add(lt::worker(t, "a"));
  spec.on_event(log->handler());
  return spec;
}
} // namespace

// OTP: child_specs, sup_flags (bad specs are refused before anything starts).
LIBACTOR_TEST_CASE_WITH(invalid_specs_are_usage_errors, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  BOOST_CHECK_THROW(co_await la::start_supervisor(duplicate_ids(t)), la::usage_error);
  BOOST_CHECK_THROW(co_await la::start_supervisor(empty_id(t)), la::usage_error);
  BOOST_CHECK_THROW(co_await la::start_supervisor(zero_period(t)), la::usage_error);
  BOOST_CHECK_THROW(co_await la::start_supervisor(simple_with(t, 0)), la::usage_error);
  BOOST_CHECK_THROW(co_await la::start_supervisor(simple_with(t, 2)), la::usage_error);
  BOOST_CHECK_THROW(co_await la::supervise(duplicate_ids(t)), la::usage_error);
  BOOST_CHECK(t->starts().empty());  // nothing was started for a bad spec

  // A bad spec given to start_child is a usage error too.
  auto log = lt::event_log::make(la::this_job::ref());
  la::supervisor_flags defaults{};
  auto sup = co_await la::start_supervisor(just_a(t, log, defaults));
  BOOST_CHECK_THROW(co_await sup.start_child(lt::worker(t, "")), la::usage_error);
  co_await sup.stop();
}

// OTP: sup_flags (intensity 0 is valid: the first restart is already one too many).
LIBACTOR_TEST_CASE_WITH(intensity_zero_is_valid_and_escalates_at_once, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto sup = co_await la::start_supervisor(zero_intensity(t, log));
  auto a = co_await lt::child_job(sup, "a");
  lt::tell(a, lt::exit_kind::failed);
  auto err = co_await lt::ended_with(sup);
  BOOST_REQUIRE_MESSAGE(err, "the supervisor should have failed with supervisor_error");
  BOOST_CHECK_EQUAL(lt::errc_name(err->code()), "restart_intensity_exceeded");
  BOOST_CHECK_EQUAL(err->child_id(), "a");
  BOOST_CHECK_EQUAL(t->start_count("a"), 1);
}
