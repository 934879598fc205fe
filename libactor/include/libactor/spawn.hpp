#pragma once
/// @file spawn.hpp
/// `spawn`: start a job as its own actor (asyncio's `create_task`).
///
/// The job gets a mailbox and runs concurrently with its spawner, on any worker thread, one turn at
/// a time. A spawned job that fails and whose exception nobody retrieves is logged with its name
/// ("exception never retrieved") when its last handle goes away.
///
/// @code
/// auto h = libactor::spawn(fetch_data("url4"), {.name = "fetch-4"});
/// auto data = co_await h;
/// @endcode

#include <coroutine>
#include <string>
#include <string_view>
#include <utility>

#include <libactor/handle.hpp>
#include <libactor/job.hpp>

namespace libactor {

/// Where a spawned job's turns run.
enum class job_home {
  /// CAF's scheduler: any worker thread, with work stealing (the default).
  workers,
  /// An I/O thread (run.hpp, runtime_config::io_threads): the spawning I/O thread when spawned from
  /// one, otherwise the next in round-robin order. Sockets the job opens live on the same thread,
  /// so their events resume it without a cross-thread wake-up; use it for jobs that mostly do
  /// network I/O (server.hpp runs connection handlers there). CPU-heavy work on an I/O thread
  /// delays the sockets and jobs that share it: offload it (to_thread.hpp) or spawn a worker job.
  io_thread,
};

/// How to spawn a job.
///
/// Deliberately trivially copyable: g++ 12 relocates class temporaries with internal pointers (such
/// as a short std::string) bitwise when a coroutine materializes them, so options hold only views.
struct spawn_options {
  /// Shown in logs, leak reports and `this_job::name()`; defaults to "job-<id>". Copied at spawn.
  std::string_view name;
  /// Where the job's turns run (see job_home).
  job_home home = job_home::workers;
};

namespace detail {
/// Starts `body` (whose promise reports to `rec`) as a new actor. Throws usage_error without a runtime.
void launch(record_base& rec, std::coroutine_handle<> body, job_home home = job_home::workers);

/// The body of spawn, with the actor started by `start(record, body)`.
template <class T, class Start>
handle<T> spawn_with(job<T> j, std::string_view name, Start&& start) {
  if (!j.valid())
    throw usage_error("libactor: spawn of an empty (moved-from) job");
  record_ptr<record<T>> rec{new record<T>()};
  rec->given_name = name;
  auto body = j.release();
  body.promise().root_ = rec.get();
  try {
    start(static_cast<record_base&>(*rec), std::coroutine_handle<>(body));
  } catch (...) {
    body.destroy();
    throw;
  }
  return handle<T>{std::move(rec)};
}
} // namespace detail

/// Spawns `j` as a new job (an actor with a mailbox) and returns its handle. Callable from a job or
/// from any thread while `run` is running; throws usage_error otherwise or for an empty job.
template <class T>
handle<T> spawn(job<T> j, spawn_options options = {}) {
  return detail::spawn_with(std::move(j), options.name, [home = options.home](detail::record_base& rec,
                                                                               std::coroutine_handle<> body) {
    detail::launch(rec, body, home);
  });
}

} // namespace libactor
