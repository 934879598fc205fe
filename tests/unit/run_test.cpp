// run(): main's outcome, shutdown of jobs left running (cancel, then kill, reported by name),
// SIGINT/SIGTERM, and configuration from code, environment and flags.
//
// Every case runs in real time: the shutdown grace period is real time by design, and a signal comes
// from outside the runtime — in virtual time a job's 1 h sleep would end as soon as every job idled,
// before the signal arrived.
#define BOOST_TEST_MODULE run
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <csignal>
#include <pthread.h>
#include <cstdlib>
#include <thread>
#include <unistd.h>

#include "../support/log_capture.hpp"

namespace la = libactor;
using namespace std::chrono_literals;

namespace {

la::job<int> returns(int v) {
  co_await la::yield();
  co_return v;
}

la::job<int> throws() {
  co_await la::yield();
  throw std::runtime_error("main broke");
}

struct stubborn_started {};

// Swallows every cancellation and keeps suspending: only a kill ends it. It tells `main` once it
// runs: a job cancelled before it starts would run nothing (and need no kill).
la::job<void> stubborn(la::job_ref main, int& swallowed) {
  main.send(stubborn_started{});
  for (;;) {
    try {
      co_await la::sleep(1h);
    } catch (const la::cancelled&) {
      ++swallowed;
    }
  }
}

struct never {};
struct ready {};

// Holds its peer's handle (a reference cycle between the two jobs) and, with `await_it`, awaits the
// peer, which awaits it back: a deadlock that only the kill phase of shutdown can end. The ack goes
// out in the same turn as the suspension, so a cancellation can only find the job suspended.
la::job<void> hold_peer(la::job_ref main, bool await_it) {
  auto peer = (co_await la::receive<la::handle<void>>()).value();
  main.send(ready{});
  if (await_it)
    co_await peer;
  else
    co_await la::receive<never>();
}

la::job<void> spawn_pair(bool mutual_await) {
  auto a = la::spawn(hold_peer(la::this_job::ref(), mutual_await), {.name = "peer-a"});
  auto b = la::spawn(hold_peer(la::this_job::ref(), mutual_await), {.name = "peer-b"});
  a.send(b);
  b.send(a);
  co_await la::receive<ready>();
  co_await la::receive<ready>();
}  // main ends; only the two jobs hold each other

// Signals the thread that is inside run(). A process-directed kill() could also land on a thread
// that does not block the signal (a sanitizer runtime's helper thread, say); run() sees either.
la::job<int> signals_run_thread(pthread_t run_thread, int signo) {
  ::pthread_kill(run_thread, signo);
  co_await la::sleep(1h);  // cancelled by run() on the signal
  co_return 0;
}

struct env_var {
  env_var(const char* name, const char* value) : name(name) { ::setenv(name, value, 1); }
  ~env_var() { ::unsetenv(name); }
  const char* name;
};

} // namespace

BOOST_AUTO_TEST_CASE(run_returns_mains_value_or_1_when_main_throws) {
  BOOST_CHECK_EQUAL(la::run(returns(7)), 7);
  la::testing::log_capture log;
  BOOST_CHECK_EQUAL(la::run(throws()), 1);
  BOOST_CHECK_EQUAL(log.lines_with({"main failed", "main broke"}), 1);
}

BOOST_AUTO_TEST_CASE(a_job_that_ignores_cancellation_is_killed_and_reported_by_name) {
  auto frames = la::live_job_frames();
  int swallowed = 0;
  la::testing::log_capture log;
  auto main = [](int& s) -> la::job<void> {
    la::spawn(stubborn(la::this_job::ref(), s), {.name = "stubborn"});
    co_await la::receive<stubborn_started>();
  };
  // The grace bounds real time: generous, so that a loaded machine still processes the kill in time.
  la::run(main(swallowed), la::runtime_config{.shutdown_grace = 500ms});
  BOOST_CHECK_GE(swallowed, 1);
  BOOST_CHECK_EQUAL(log.lines_with({"still running after main ended", "stubborn"}), 1);
  BOOST_CHECK_EQUAL(log.lines_with({"killing (leaked)", "stubborn"}), 1);
  BOOST_CHECK_EQUAL(la::live_job_frames(), frames);  // the killed job's frame was torn down
}

// A job whose cancellation was requested before main ended (a session's pool sweeper, cancelled
// when the session closed) is winding down, not leaked: run waits for it without naming it.
la::job<void> nap() { co_await la::sleep(50ms); }

la::job<void> winding_down() {
  try {
    co_await la::receive<never>();
  } catch (const la::cancelled&) {
  }
  co_await la::shield(nap());  // its cleanup still takes a while after main has ended
}

la::job<void> cancel_and_return() {
  auto h = la::spawn(winding_down(), {.name = "winding-down"});
  h.cancel();
  co_return;
}

BOOST_AUTO_TEST_CASE(a_job_already_cancelled_when_main_ends_is_awaited_without_a_warning) {
  la::testing::log_capture log;
  BOOST_CHECK_EQUAL(la::run(cancel_and_return()), 0);
  BOOST_CHECK_EQUAL(log.lines_with({"winding-down"}), 0);
  BOOST_CHECK_EQUAL(log.lines_with({"still running"}), 0);
}

BOOST_AUTO_TEST_CASE(two_jobs_holding_each_others_handles_are_reaped) {
  auto frames = la::live_job_frames();
  la::testing::log_capture log;
  BOOST_CHECK_EQUAL(la::run(spawn_pair(false)), 0);
  BOOST_CHECK_EQUAL(log.lines_with({"cancelling", "peer-a", "peer-b"}), 1);
  BOOST_CHECK_EQUAL(log.lines_with({"killing"}), 0);  // cancellation was enough
  BOOST_CHECK_EQUAL(la::live_job_frames(), frames);  // and LeakSanitizer sees no record cycle
}

BOOST_AUTO_TEST_CASE(two_jobs_awaiting_each_other_are_killed_after_the_grace_period) {
  auto frames = la::live_job_frames();
  la::testing::log_capture log;
  BOOST_CHECK_EQUAL(la::run(spawn_pair(true), la::runtime_config{.shutdown_grace = 500ms}), 0);
  BOOST_CHECK_EQUAL(log.lines_with({"killing (leaked)", "peer-a", "peer-b"}), 1);
  BOOST_CHECK_EQUAL(la::live_job_frames(), frames);
}

BOOST_AUTO_TEST_CASE(sigint_and_sigterm_cancel_main) {
  BOOST_CHECK_EQUAL(la::run(signals_run_thread(::pthread_self(), SIGINT)), 128 + SIGINT);
  BOOST_CHECK_EQUAL(la::run(signals_run_thread(::pthread_self(), SIGTERM)), 128 + SIGTERM);
}

BOOST_AUTO_TEST_CASE(run_inside_a_running_runtime_is_a_usage_error) {
  auto main = []() -> la::job<void> {
    BOOST_CHECK_THROW(la::run(returns(1)), la::usage_error);
    co_return;
  };
  BOOST_CHECK_EQUAL(la::run(main()), 0);
  BOOST_CHECK_THROW(la::worker_threads(), la::usage_error);
}

BOOST_AUTO_TEST_CASE(worker_threads_default_to_the_machines_cores) {
  unsigned seen = 0;
  auto main = [](unsigned& out) -> la::job<void> {
    out = la::worker_threads();
    co_return;
  };
  la::run(main(seen));
  BOOST_CHECK_EQUAL(seen, std::max(1u, std::thread::hardware_concurrency()));
  la::run(main(seen), la::runtime_config{.threads = 3});
  BOOST_CHECK_EQUAL(seen, 3u);
}

BOOST_AUTO_TEST_CASE(flags_override_environment_which_overrides_code) {
  la::runtime_config base{.threads = 1, .policy = la::scheduler_policy::work_stealing};
  env_var threads{"LIBACTOR_THREADS", "2"};
  env_var policy{"LIBACTOR_POLICY", "sharing"};
  auto c = la::parse_config(0, nullptr, base);
  BOOST_CHECK_EQUAL(c.threads, 2u);
  BOOST_CHECK(c.policy == la::scheduler_policy::work_sharing);
  const char* argv[] = {"prog", "--user-flag", "--libactor-threads=5", "--libactor-shutdown-grace-ms", "70", "file"};
  c = la::parse_config(6, argv, base);
  BOOST_CHECK_EQUAL(c.threads, 5u);
  BOOST_CHECK(c.policy == la::scheduler_policy::work_sharing);
  BOOST_CHECK_EQUAL(c.shutdown_grace.count(), 70);
}

BOOST_AUTO_TEST_CASE(bad_settings_are_clear_errors) {
  const char* bad_threads[] = {"prog", "--libactor-threads=many"};
  BOOST_CHECK_EXCEPTION(la::parse_config(2, bad_threads), la::config_error, [](const la::config_error& e) {
    return std::string(e.what()).find("--libactor-threads 'many'") != std::string::npos;
  });
  const char* unknown[] = {"prog", "--libactor-thread=2"};
  BOOST_CHECK_THROW(la::parse_config(2, unknown), la::config_error);
  const char* missing[] = {"prog", "--libactor-policy"};
  BOOST_CHECK_THROW(la::parse_config(2, missing), la::config_error);
  {
    env_var bad{"LIBACTOR_POLICY", "fastest"};
    BOOST_CHECK_THROW(la::parse_config(0, nullptr), la::config_error);
  }
  {
    env_var bad{"LIBACTOR_THREADS", "-1"};
    BOOST_CHECK_THROW(la::parse_config(0, nullptr), la::config_error);
  }
}

BOOST_AUTO_TEST_CASE(run_with_a_bad_flag_returns_2_without_running_main) {
  bool ran = false;
  auto main = [](bool& flag) -> la::job<int> {
    flag = true;
    co_return 0;
  };
  char prog[] = "prog", flag[] = "--libactor-policy=fastest";
  char* argv[] = {prog, flag};
  BOOST_CHECK_EQUAL(la::run(main(ran), 2, argv), 2);
  BOOST_CHECK(!ran);
}

BOOST_AUTO_TEST_CASE(the_sharing_policy_runs_jobs_too) {
  BOOST_CHECK_EQUAL(la::run(returns(3), la::runtime_config{.policy = la::scheduler_policy::work_sharing}), 3);
}
