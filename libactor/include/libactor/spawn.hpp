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

/// How to spawn a job.
///
/// Deliberately trivially copyable: g++ 12 relocates class temporaries with internal pointers (such
/// as a short std::string) bitwise when a coroutine materializes them, so options hold only views.
struct spawn_options {
  /// Shown in logs, leak reports and `this_job::name()`; defaults to "job-<id>". Copied at spawn.
  std::string_view name;
};

namespace detail {
/// Starts `body` (whose promise reports to `rec`) as a new actor. Throws usage_error without a runtime.
void launch(record_base& rec, std::coroutine_handle<> body);
} // namespace detail

/// Spawns `j` as a new job (an actor with a mailbox) and returns its handle. Callable from a job or
/// from any thread while `run` is running; throws usage_error otherwise or for an empty job.
template <class T>
handle<T> spawn(job<T> j, spawn_options options = {}) {
  if (!j.valid())
    throw usage_error("libactor: spawn of an empty (moved-from) job");
  detail::record_ptr<detail::record<T>> rec{new detail::record<T>()};
  rec->given_name = options.name;
  auto body = j.release();
  body.promise().root_ = rec.get();
  try {
    detail::launch(*rec, body);
  } catch (...) {
    body.destroy();
    throw;
  }
  return handle<T>{std::move(rec)};
}

} // namespace libactor
