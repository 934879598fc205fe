// Restarts (OTP supervisor_SUITE: permanent_*, transient_*, temporary_*, one_for_one, one_for_all,
// rest_for_one, simple_one_for_one, temporary_bystander, *_other_child_fails_restart). For each
// strategy, every restart type meets every way a child can end (normal, cancelled — OTP's
// shutdown —, failed, killed), each with a fresh supervisor: which children were replaced (new
// job ids), how the replaced ones ended (watched), and what which_children and count_children say.
// Virtual time throughout.
#define BOOST_TEST_MODULE supervisor_restart
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/supervisor.hpp>
#include <libactor/testing.hpp>
#include <libactor/watch.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>
#include "../support/supervision_probes.hpp"

namespace la = libactor;
namespace lt = la::testing;
using namespace std::chrono_literals;
using ev = la::supervisor_event;
using names = std::vector<std::string>;

namespace {
enum class end_how { normal, cancelled, failed, killed };
constexpr end_how every_end[] = {end_how::normal, end_how::cancelled, end_how::failed, end_how::killed};
constexpr la::restart_type every_type[] = {la::restart_type::permanent, la::restart_type::transient,
                                           la::restart_type::temporary};

const char* to_string(end_how h) {
  switch (h) {
    case end_how::normal: return "normal";
    case end_how::cancelled: return "cancelled";
    case end_how::failed: return "failed";
    case end_how::killed: return "killed";
  }
  return "?";
}
const char* to_string(la::restart_type t) {
  switch (t) {
    case la::restart_type::permanent: return "permanent";
    case la::restart_type::transient: return "transient";
    case la::restart_type::temporary: return "temporary";
  }
  return "?";
}
const char* to_string(la::restart_strategy s) {
  switch (s) {
    case la::restart_strategy::one_for_one: return "one_for_one";
    case la::restart_strategy::one_for_all: return "one_for_all";
    case la::restart_strategy::rest_for_one: return "rest_for_one";
    case la::restart_strategy::simple_one_for_one: return "simple_one_for_one";
  }
  return "?";
}

// OTP's do_restart: permanent always; transient after an abnormal end (failed, killed); temporary never.
bool is_restarted(la::restart_type type, end_how how) {
  if (type == la::restart_type::permanent)
    return true;
  if (type == la::restart_type::temporary)
    return false;
  return how == end_how::failed || how == end_how::killed;
}

void end_child(const la::job_ref& j, end_how how) {
  switch (how) {
    case end_how::normal: lt::tell(j, lt::exit_kind::normal); break;
    case end_how::cancelled: lt::tell(j, lt::exit_kind::cancelled); break;
    case end_how::failed: lt::tell(j, lt::exit_kind::failed); break;
    case end_how::killed: lt::kill(j); break;
  }
}

// What one case saw.
struct observed {
  std::map<std::string, std::uint64_t> before;  // job ids
  std::map<std::string, std::uint64_t> after;
  std::map<std::string, la::child_info::state_t> states;
  std::map<std::string, unsigned> restarts;
  la::child_counts counts;
  std::map<std::uint64_t, la::exit_reason> downs;  // every first incarnation's end
  std::set<std::string> terminated;                // stopped by the supervisor before the final stop
  std::map<std::string, int> starts;
  bool escalated = false;
};

la::job<observed> run_case(la::restart_strategy s, la::restart_type type, end_how how) {
  observed o;
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto sup = co_await la::start_supervisor(lt::abc(t, log, {.strategy = s, .intensity = 10}, {.restart = type}));
  auto kids = co_await sup.which_children();
  la::job_ref b;
  for (auto& k : kids) {
    o.before[k.id] = k.job.id();
    la::watch(k.job);
    if (k.id == "b")
      b = k.job;
  }
  end_child(b, how);
  // The supervisor handles the end (and any restart) before it answers the next call.
  co_await lt::wait_events(log, ev::exited, "b", 1);
  kids = co_await sup.which_children();
  for (auto& k : kids) {
    o.after[k.id] = k.job.valid() ? k.job.id() : 0;
    o.states[k.id] = k.state;
    o.restarts[k.id] = k.restarts;
  }
  o.counts = co_await sup.count_children();
  for (auto& e : log->all())
    if (e.kind == ev::terminated)
      o.terminated.insert(e.child);
  o.escalated = log->count(ev::escalated) > 0;
  co_await sup.stop();
  o.downs = co_await lt::collect_downs(3);
  for (auto* id : {"a", "b", "c"})
    o.starts[id] = t->start_count(id);
  co_return o;
}

void check_case(la::restart_strategy s, la::restart_type type, end_how how, const observed& o) {
  BOOST_TEST_CONTEXT(to_string(s) << ", b " << to_string(type) << ", ends " << to_string(how)) {
    bool restarted = is_restarted(type, how);
    bool a_replaced = restarted && s == la::restart_strategy::one_for_all;
    bool c_replaced = restarted && s != la::restart_strategy::one_for_one;
    BOOST_CHECK(!o.escalated);
    // b
    if (restarted) {
      BOOST_REQUIRE(o.after.count("b"));
      BOOST_CHECK(o.states.at("b") == la::child_info::running);
      BOOST_CHECK(o.after.at("b") != 0 && o.after.at("b") != o.before.at("b"));
      BOOST_CHECK_EQUAL(o.restarts.at("b"), 1u);
    } else if (type == la::restart_type::temporary) {
      BOOST_CHECK_MESSAGE(!o.after.count("b"), "a temporary child's spec is removed when it ends");
    } else {
      BOOST_REQUIRE(o.after.count("b"));
      BOOST_CHECK(o.states.at("b") == la::child_info::stopped);
      BOOST_CHECK_EQUAL(o.after.at("b"), 0u);
    }
    BOOST_CHECK_EQUAL(o.starts.at("b"), restarted ? 2 : 1);
    BOOST_CHECK_EQUAL(la::to_string(o.downs.at(o.before.at("b"))), to_string(how));
    // the siblings
    BOOST_CHECK_EQUAL(o.after.at("a") != o.before.at("a"), a_replaced);
    BOOST_CHECK_EQUAL(o.after.at("c") != o.before.at("c"), c_replaced);
    BOOST_CHECK(o.states.at("a") == la::child_info::running);
    BOOST_CHECK(o.states.at("c") == la::child_info::running);
    BOOST_CHECK_EQUAL(o.starts.at("a"), a_replaced ? 2 : 1);
    BOOST_CHECK_EQUAL(o.starts.at("c"), c_replaced ? 2 : 1);
    BOOST_CHECK_EQUAL(o.terminated.count("a"), a_replaced ? 1u : 0u);
    BOOST_CHECK_EQUAL(o.terminated.count("c"), c_replaced ? 1u : 0u);
    // Stopped siblings (and, at the end, everyone) were cancelled, as OTP's shutdown.
    BOOST_CHECK_EQUAL(la::to_string(o.downs.at(o.before.at("a"))), "cancelled");
    BOOST_CHECK_EQUAL(la::to_string(o.downs.at(o.before.at("c"))), "cancelled");
    // OTP's get_child_counts: [specs, active, supervisors, workers].
    std::size_t specs = !restarted && type == la::restart_type::temporary ? 2 : 3;
    BOOST_CHECK_EQUAL(o.counts.specs, specs);
    BOOST_CHECK_EQUAL(o.counts.active, restarted ? 3u : 2u);
    BOOST_CHECK_EQUAL(o.counts.supervisors, 0u);
    BOOST_CHECK_EQUAL(o.counts.workers, specs);
  }
}

la::job<void> matrix(la::restart_strategy s) {
  for (auto type : every_type) {
    for (auto how : every_end) {
      auto o = co_await run_case(s, type, how);
      check_case(s, type, how, o);
    }
  }
}
} // namespace

// OTP: permanent_normal, permanent_shutdown, permanent_abnormal, transient_normal,
// transient_shutdown, transient_abnormal, temporary_normal, temporary_shutdown, temporary_abnormal,
// one_for_one.
LIBACTOR_TEST_CASE_WITH(one_for_one_matrix, lt::virtual_clock) { co_await matrix(la::restart_strategy::one_for_one); }

// OTP: one_for_all.
LIBACTOR_TEST_CASE_WITH(one_for_all_matrix, lt::virtual_clock) { co_await matrix(la::restart_strategy::one_for_all); }

// OTP: rest_for_one.
LIBACTOR_TEST_CASE_WITH(rest_for_one_matrix, lt::virtual_clock) { co_await matrix(la::restart_strategy::rest_for_one); }

namespace {
la::supervisor_spec simple_pool(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log, la::restart_type type) {
  la::supervisor_spec spec{"pool", {.strategy = la::restart_strategy::simple_one_for_one, .intensity = 10}};
  spec.add(lt::worker(t, "w", {.restart = type}));  // a ready-token child: it has run when start_child returns
  spec.on_event(log->handler());
  return spec;
}

la::job<void> simple_case(la::restart_type type, end_how how) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto sup = co_await la::start_supervisor(simple_pool(t, log, type));
  auto w1 = co_await sup.start_child();
  auto w2 = co_await sup.start_child();
  auto w3 = co_await sup.start_child();
  la::watch(w2);
  end_child(w2, how);
  co_await lt::wait_events(log, ev::exited, 1);
  auto kids = co_await sup.which_children();
  auto counts = co_await sup.count_children();
  auto downs = co_await lt::collect_downs(1);
  co_await sup.stop();
  std::set<std::uint64_t> jobs;
  for (auto& k : kids)
    if (k.job.valid())
      jobs.insert(k.job.id());
  bool restarted = is_restarted(type, how);
  BOOST_TEST_CONTEXT("simple_one_for_one, " << to_string(type) << ", ends " << to_string(how)) {
    BOOST_CHECK_EQUAL(la::to_string(downs.at(w2.id())), to_string(how));
    BOOST_CHECK(jobs.count(w1.id()) == 1 && jobs.count(w3.id()) == 1);  // siblings untouched
    BOOST_CHECK(jobs.count(w2.id()) == 0);
    // A dynamic child that is not restarted is removed (no spec of its own to keep).
    BOOST_CHECK_EQUAL(kids.size(), restarted ? 3u : 2u);
    BOOST_CHECK_EQUAL(jobs.size(), restarted ? 3u : 2u);
    BOOST_CHECK_EQUAL(counts.specs, restarted ? 3u : 2u);
    BOOST_CHECK_EQUAL(counts.active, restarted ? 3u : 2u);
    BOOST_CHECK_EQUAL(log->count(ev::started), restarted ? 4u : 3u);
  }
}
} // namespace

// OTP: simple_one_for_one (and its permanent/transient/temporary ends).
LIBACTOR_TEST_CASE_WITH(simple_one_for_one_matrix, lt::virtual_clock) {
  for (auto type : every_type)
    for (auto how : every_end)
      co_await simple_case(type, how);
}

namespace {
// `failing` fails; `tmp` is temporary and in the failing child's group.
la::supervisor_spec with_bystander(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log,
                                   la::restart_strategy s) {
  la::supervisor_spec spec{"sup", {.strategy = s, .intensity = 10}};
  la::child_options temporary{.restart = la::restart_type::temporary};
  if (s == la::restart_strategy::one_for_all)
    spec.add(lt::worker(t, "a")).add(lt::worker(t, "tmp", temporary)).add(lt::worker(t, "c"));
  else
    spec.add(lt::worker(t, "a")).add(lt::worker(t, "b")).add(lt::worker(t, "tmp", temporary));
  spec.on_event(log->handler());
  return spec;
}

la::job<void> bystander_case(la::restart_strategy s) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto sup = co_await la::start_supervisor(with_bystander(t, log, s));
  bool all = s == la::restart_strategy::one_for_all;
  const char* failing = all ? "a" : "b";
  auto before = co_await lt::job_ids(sup);
  auto tmp = co_await lt::child_job(sup, "tmp");
  la::watch(tmp);
  auto victim = co_await lt::child_job(sup, failing);
  lt::tell(victim, lt::exit_kind::failed);
  co_await lt::wait_events(log, ev::exited, failing, 1);
  auto ids = co_await lt::child_ids(sup);
  auto after = co_await lt::job_ids(sup);
  auto counts = co_await sup.count_children();
  auto downs = co_await lt::collect_downs(1);
  BOOST_TEST_CONTEXT(to_string(s)) {
    BOOST_CHECK((ids == (all ? names{"a", "c"} : names{"a", "b"})));
    BOOST_CHECK_EQUAL(la::to_string(downs.at(tmp.id())), "cancelled");  // stopped, then removed
    BOOST_CHECK_EQUAL(t->start_count("tmp"), 1);
    BOOST_CHECK(after.at(failing) != before.at(failing));
    if (all)
      BOOST_CHECK(after.at("c") != before.at("c"));
    else
      BOOST_CHECK(after.at("a") == before.at("a"));
    BOOST_CHECK_EQUAL(counts.specs, 2u);
    BOOST_CHECK_EQUAL(counts.active, 2u);
    BOOST_CHECK(!sup.done());
  }
  co_await sup.stop();
}
} // namespace

// OTP: temporary_bystander (a temporary child in a restarted group is removed, not restarted).
LIBACTOR_TEST_CASE_WITH(temporary_bystander_is_removed, lt::virtual_clock) {
  co_await bystander_case(la::restart_strategy::one_for_all);
  co_await bystander_case(la::restart_strategy::rest_for_one);
}

namespace {
// a, b (whose factory refuses its second call: its first restart), and for rest_for_one also c.
la::supervisor_spec second_refuses(std::shared_ptr<lt::trace> t, std::shared_ptr<lt::event_log> log,
                                   la::restart_strategy s, std::shared_ptr<std::atomic<int>> b_calls) {
  la::supervisor_spec spec{"sup", {.strategy = s, .intensity = 10}};
  spec.add(lt::worker(t, "a")).add(la::child_spec{"b", lt::refuses(2, 2, b_calls, lt::controllable_factory(t, "b"))});
  if (s == la::restart_strategy::rest_for_one)
    spec.add(lt::worker(t, "c"));
  spec.on_event(log->handler());
  return spec;
}
} // namespace

// OTP: one_for_all_other_child_fails_restart: a fails; in the group restart b's start fails, so
// the group is restarted again (the fresh a is stopped, cancelled) until it starts whole.
LIBACTOR_TEST_CASE_WITH(one_for_all_other_child_fails_restart, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto b_calls = std::make_shared<std::atomic<int>>(0);
  auto sup = co_await la::start_supervisor(second_refuses(t, log, la::restart_strategy::one_for_all, b_calls));
  auto a = co_await lt::child_job(sup, "a");
  lt::tell(a, lt::exit_kind::failed);
  co_await lt::wait_events(log, ev::started, "b", 2);
  auto kids = co_await sup.which_children();
  BOOST_REQUIRE_EQUAL(kids.size(), 2u);
  for (auto& k : kids)
    BOOST_CHECK(k.state == la::child_info::running);
  BOOST_CHECK_EQUAL(b_calls->load(), 3);
  BOOST_CHECK_EQUAL(log->count(ev::start_failed, "b"), 1u);
  BOOST_CHECK_EQUAL(t->start_count("a"), 3);  // the first, the restart, the retried group restart
  auto a_stops = log->of(ev::terminated, "a");
  BOOST_REQUIRE_EQUAL(a_stops.size(), 1u);  // the second a, stopped for the retry
  BOOST_CHECK_EQUAL(la::to_string(a_stops[0].reason), "cancelled");
  BOOST_CHECK_EQUAL(kids[0].job.id(), t->last_job("a"));
  BOOST_CHECK_EQUAL(log->count(ev::escalated), 0u);
  BOOST_CHECK(!sup.done());
  co_await sup.stop();
}

// OTP: rest_for_one_other_child_fails_restart: a fails; b's restart fails; the retry starts b and
// those after it, and a (before b) is not restarted again.
LIBACTOR_TEST_CASE_WITH(rest_for_one_other_child_fails_restart, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  auto b_calls = std::make_shared<std::atomic<int>>(0);
  auto sup = co_await la::start_supervisor(second_refuses(t, log, la::restart_strategy::rest_for_one, b_calls));
  auto a = co_await lt::child_job(sup, "a");
  lt::tell(a, lt::exit_kind::failed);
  co_await lt::wait_events(log, ev::started, "c", 2);
  auto kids = co_await sup.which_children();
  BOOST_REQUIRE_EQUAL(kids.size(), 3u);
  for (auto& k : kids)
    BOOST_CHECK(k.state == la::child_info::running);
  BOOST_CHECK_EQUAL(b_calls->load(), 3);
  BOOST_CHECK_EQUAL(log->count(ev::start_failed, "b"), 1u);
  BOOST_CHECK_EQUAL(t->start_count("a"), 2);
  BOOST_CHECK_EQUAL(t->start_count("c"), 2);
  BOOST_CHECK_EQUAL(log->count(ev::terminated, "a"), 0u);
  BOOST_CHECK_EQUAL(kids[0].job.id(), t->last_job("a"));
  BOOST_CHECK_EQUAL(log->count(ev::escalated), 0u);
  BOOST_CHECK(!sup.done());
  co_await sup.stop();
}

// OTP: transient_abnormal with exit(Pid, kill) — a kill is a kill even before the job's first turn
// (record_base::request_kill: "it ends `killed`"), or a transient child would not be restarted.
// One worker: the spawned job cannot run before the body suspends.
LIBACTOR_TEST_CASE_WITH(a_job_killed_before_its_first_turn_ends_killed, (la::runtime_config{.threads = 1, .virtual_time = true})) {
  auto h = la::spawn(lt::idle_child());
  la::watch(h);
  lt::kill(h);
  auto downs = co_await lt::collect_downs(1);
  BOOST_CHECK_EQUAL(la::to_string(downs.at(h.id())), "killed");
}

// A child stopped by terminate_child stays stopped when a sibling's failure restarts the group
// (one_for_all), until restart_child; the exited event names the job that ended.
LIBACTOR_TEST_CASE_WITH(a_terminated_child_stays_stopped_through_a_group_restart, lt::virtual_clock) {
  auto t = std::make_shared<lt::trace>();
  auto log = lt::event_log::make(la::this_job::ref());
  la::supervisor_spec spec{"sup", {.strategy = la::restart_strategy::one_for_all, .intensity = 10}};
  spec.add(lt::worker(t, "a")).add(lt::worker(t, "b")).add(lt::worker(t, "c"));
  spec.on_event(log->handler());
  auto sup = co_await la::start_supervisor(std::move(spec));
  co_await sup.terminate_child("b");
  auto a = co_await lt::child_job(sup, "a");
  lt::tell(a, lt::exit_kind::failed);
  co_await lt::wait_events(log, ev::started, "c", 2);
  auto exits = log->of(ev::exited, "a");
  BOOST_REQUIRE_EQUAL(exits.size(), 1u);
  BOOST_CHECK_EQUAL(exits[0].job_id, a.id());
  auto b = co_await lt::child_entry(sup, "b");
  BOOST_REQUIRE(b.has_value());
  BOOST_CHECK(b->state == la::child_info::stopped);
  BOOST_CHECK(!b->job.valid());
  BOOST_CHECK_EQUAL(t->start_count("b"), 1);
  co_await sup.restart_child("b");
  BOOST_CHECK_EQUAL(t->start_count("b"), 2);
  co_await sup.stop();
}
