// run(): the runtime's lifetime around main — signals, shutdown in phases, main's outcome.

#include <libactor/run.hpp>
#include <libactor/spawn.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <caf/scheduler/abstract_coordinator.hpp>

#include "log.hpp"
#include "runtime.hpp"

namespace libactor {

namespace {

/// SIGINT/SIGTERM as file-descriptor events while run() waits for main. Blocked before the actor
/// system starts its threads, so the workers inherit the mask and only this thread sees them.
class signal_watch {
public:
  signal_watch() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
    signal_fd_ = signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK);
    done_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  }
  ~signal_watch() {
    // Swallow a signal that arrived during run() so that unblocking does not deliver it again.
    timespec zero{0, 0};
    while (sigtimedwait(&set_, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    close(signal_fd_);
    close(done_fd_);
  }
  signal_watch(const signal_watch&) = delete;
  signal_watch& operator=(const signal_watch&) = delete;

  static void notify_done(void* self) {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = write(static_cast<signal_watch*>(self)->done_fd_, &one, sizeof one);
  }

  /// Waits until `main` has ended; a signal cancels it. Returns the first signal received, or 0.
  int wait(detail::record_base& main) {
    int first_signal = 0;
    while (!main.done()) {
      pollfd fds[2] = {{done_fd_, POLLIN, 0}, {signal_fd_, POLLIN, 0}};
      if (poll(fds, 2, -1) < 0)
        continue;  // EINTR
      signalfd_siginfo info{};
      while (read(signal_fd_, &info, sizeof info) == sizeof info) {
        detail::log().info("received {}: cancelling main", strsignal(static_cast<int>(info.ssi_signo)));
        if (first_signal == 0)
          first_signal = static_cast<int>(info.ssi_signo);
        main.request_cancel();
      }
    }
    return first_signal;
  }

private:
  sigset_t set_{};
  sigset_t old_{};
  int signal_fd_ = -1;
  int done_fd_ = -1;
};

std::string names_of(const std::vector<detail::record_ptr<detail::record_base>>& jobs) {
  std::string out;
  for (std::size_t i = 0; i < jobs.size() && i < 20; ++i)
    out += (i ? ", " : "") + jobs[i]->name();
  if (jobs.size() > 20)
    out += ", ... (" + std::to_string(jobs.size() - 20) + " more)";
  return out;
}

/// Live jobs that have not ended yet (a job that has just ended may still be unregistering).
std::vector<detail::record_ptr<detail::record_base>> still_running(detail::runtime& rt) {
  auto jobs = rt.live_jobs();
  std::erase_if(jobs, [](auto& r) { return r->done(); });
  return jobs;
}

/// Cancels every job still alive, then kills what ignored the cancellation, each phase bounded by
/// the grace period. Jobs in supervision trees are left to their supervisors at first, which stop
/// them in reverse start order as they are cancelled. Returns false if some job never suspended
/// again (the runtime is abandoned).
bool reap(detail::runtime& rt, std::chrono::milliseconds grace) {
  auto left = still_running(rt);
  if (left.empty())
    return true;
  auto deadline = std::chrono::steady_clock::now() + grace;
  // Phase 1: the roots (main's leftovers, top-level supervisors). Jobs already cancelled are on
  // their way out (a session closed as main ended cancels its pool's sweeper): not leaks, so they
  // are only waited for. The others are named.
  auto roots = left;
  std::erase_if(roots, [](auto& r) { return r->supervised; });
  auto unasked = roots;
  std::erase_if(unasked, [](auto& r) { return r->cancel_requested(); });
  if (!unasked.empty())
    detail::log().warn("{} job(s) still running after main ended; cancelling: {}", unasked.size(), names_of(unasked));
  for (auto& r : roots)
    r->request_cancel();
  auto roots_done = [&] { return std::all_of(roots.begin(), roots.end(), [](auto& r) { return r->done(); }); };
  while (!roots_done() && std::chrono::steady_clock::now() < deadline) {
    if (rt.wait_until_idle(std::chrono::milliseconds(10)))  // polls: this is shutdown, not a hot path
      return true;
  }
  // Phase 2: what the trees left behind (jobs spawned by supervised jobs that outlived them), or
  // everything, if the roots did not end in time.
  left = still_running(rt);
  unasked = left;
  std::erase_if(unasked, [](auto& r) { return r->cancel_requested(); });
  if (!unasked.empty())
    detail::log().warn("{} job(s) left behind by supervised jobs; cancelling: {}", unasked.size(), names_of(unasked));
  for (auto& r : left)
    r->request_cancel();
  auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (rt.wait_until_idle(std::max(remaining, std::chrono::milliseconds(0))))
    return true;
  left = still_running(rt);
  detail::log().error("{} job(s) ignored cancellation for {} ms; killing (leaked): {}", left.size(),
                      grace.count(), names_of(left));
  for (auto& r : left)
    r->request_kill();
  if (rt.wait_until_idle(grace))
    return true;
  left = still_running(rt);
  detail::log().critical("{} job(s) never reached a suspension point again; abandoning the runtime: {}",
                         left.size(), names_of(left));
  return false;
}

template <class T>
int run_main(job<T> main, const runtime_config& config) {
  if (!main.valid())
    throw usage_error("libactor: run() of an empty (moved-from) job");
  signal_watch signals;
  detail::runtime rt{config};
  detail::record_ptr<detail::record<T>> rec{new detail::record<T>()};
  rec->given_name = "main";
  rec->on_finish(&signal_watch::notify_done, &signals);
  auto body = main.release();
  body.promise().root_ = rec.get();
  detail::launch(*rec, body);
  int signal_number = signals.wait(*rec);
  if (!reap(rt, config.shutdown_grace))
    rt.abandon();
  try {
    rec->rethrow_if_failed();
    if constexpr (std::is_void_v<T>)
      return 0;
    else
      return *rec->value;
  } catch (const cancelled&) {
    detail::log().warn("main was cancelled{}", signal_number ? std::string(" by ") + strsignal(signal_number) : "");
    return signal_number != 0 ? 128 + signal_number : 1;
  } catch (const std::exception& e) {
    detail::log().error("main failed: {}", e.what());
  } catch (...) {
    detail::log().error("main failed with an exception not derived from std::exception");
  }
  return 1;
}

template <class T>
int run_with_args(job<T> main, int argc, char** argv) {
  runtime_config config;
  try {
    config = parse_config(argc, argv);
  } catch (const config_error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  return run_main(std::move(main), config);
}

} // namespace

unsigned worker_threads() {
  auto* rt = detail::runtime::current();
  if (rt == nullptr)
    throw usage_error("libactor: worker_threads() called while no runtime is running");
  return static_cast<unsigned>(rt->system().scheduler().num_workers());
}

int run(job<int> main, runtime_config config) { return run_main(std::move(main), config); }
int run(job<void> main, runtime_config config) { return run_main(std::move(main), config); }
int run(job<int> main, int argc, char** argv) { return run_with_args(std::move(main), argc, argv); }
int run(job<void> main, int argc, char** argv) { return run_with_args(std::move(main), argc, argv); }

} // namespace libactor
