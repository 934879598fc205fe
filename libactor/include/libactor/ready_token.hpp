#pragma once
/// @file ready_token.hpp
/// `ready_token`: how a started job tells whoever started it that it is ready for business
/// (Trio's task_status.started). Used by task_group::start and by supervisors, whose start of a
/// child returns only once the child has called `ready()`.
///
/// @code
/// la::job<void> server(la::ready_token t) {
///   auto srv = co_await la::start_server(handler, "127.0.0.1", 0);
///   t.ready();                        // the starter goes on from here
///   co_await srv.serve_forever();
/// }
/// @endcode

#include <atomic>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include <libactor/handle.hpp>
#include <libactor/job.hpp>
#include <libactor/message.hpp>

namespace libactor {

namespace detail {
// What a started job sends the starting job: at most once per start, either "ready" or "ended
// before ready". `key` tells starts apart (a stale signal of an abandoned start).
struct start_signal {
  std::uint64_t key;
  bool ready;
};

// One start: who waits, and whether it has been told.
struct start_state {
  start_state(job_ref s, std::uint64_t k) : starter(std::move(s)), key(k) {}
  job_ref starter;
  std::uint64_t key;
  std::atomic<bool> signalled{false};

  void signal(bool ready) {
    if (!signalled.exchange(true))
      starter.send(start_signal{key, ready});
  }
};

// Unique over all starts of the process.
inline std::uint64_t next_start_key() {
  static std::atomic<std::uint64_t> last{0};
  return ++last;
}
} // namespace detail

/// Passed to a started job; it calls `ready()` once it is ready. Copyable; may be passed on to
/// another job. A default-constructed token belongs to no start: `ready()` does nothing (a job
/// that takes a token can then also be run on its own).
class ready_token {
public:
  ready_token() noexcept = default;
  explicit ready_token(std::shared_ptr<detail::start_state> state) noexcept : state_(std::move(state)) {}
  /// Lets the starter go on. Idempotent (copies included); callable from any job or thread.
  void ready() const {
    if (state_)
      state_->signal(true);
  }

private:
  std::shared_ptr<detail::start_state> state_;
};

namespace detail {
// Tells the starter, when destroyed, that the child ended (a no-op once it called ready).
struct signal_end {
  std::shared_ptr<start_state> state;
  explicit signal_end(std::shared_ptr<start_state> s) : state(std::move(s)) {}
  signal_end(signal_end&& other) noexcept = default;
  ~signal_end() {
    try {
      if (state)
        state->signal(false);
    } catch (...) {  // destroyed outside any runtime (a killed frame): nobody to tell
    }
  }
};

// Wraps a started child. The guard is moved into the body's scope, so that it fires as the body
// ends, however it ends; if the child is cancelled before it ever runs, the parameter fires when
// the frame is destroyed.
template <class T>
job<T> announce_end(job<T> j, signal_end param) {
  signal_end guard = std::move(param);
  if constexpr (std::is_void_v<T>)
    co_await std::move(j);
  else
    co_return co_await std::move(j);
}

// Waits in the starting job for the started job's signal: true once it called ready(), false if
// it ended first. If the starting job is cancelled meanwhile, returns false and marks the start
// as abandoned (this_job::cancelled() then tells the two cases apart).
inline job<bool> wait_ready(std::shared_ptr<start_state> state) {
  try {
    for (;;) {
      auto m = co_await receive<start_signal>();
      if (m.value().key == state->key)
        co_return m.value().ready;
    }
  } catch (const cancelled&) {
    state->signalled.store(true);  // nobody listens any more
  }
  co_return false;
}
} // namespace detail

} // namespace libactor
