#pragma once
// Probes for the supervision tests (tests/failure): children that end as they are told, a child that
// ignores cancellation, a factory that refuses some starts, an on_event recorder the test body can
// wait on, and small helpers around a supervisor's calls.
//
// g++ 12 (docs/coding-style.md): child specs and factories are built by the plain functions here and
// never passed by value to a coroutine; coroutines take shared_ptrs, string literals and views.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <libactor/detail/children.hpp>
#include <libactor/libactor.hpp>
#include <libactor/ready_token.hpp>
#include <libactor/supervisor.hpp>
#include <libactor/watch.hpp>

namespace libactor::testing {

// -- what children did ------------------------------------------------------------------------

/// Starts and ends of children, in order, over every incarnation. Thread-safe. An end is recorded by
/// a destructor in the child's frame, so it is recorded however the child ends (a kill included).
class trace {
public:
  void started(std::string_view name, std::uint64_t job_id) {
    std::lock_guard lock{m_};
    starts_.emplace_back(std::string(name), job_id);
  }
  void ended(std::string_view name) {
    std::lock_guard lock{m_};
    ends_.emplace_back(name);
  }
  /// Names of the started children, in start order.
  std::vector<std::string> starts() const {
    std::lock_guard lock{m_};
    std::vector<std::string> out;
    for (auto& s : starts_)
      out.push_back(s.first);
    return out;
  }
  /// Names of the ended children, in the order their frames went.
  std::vector<std::string> ends() const {
    std::lock_guard lock{m_};
    return ends_;
  }
  int start_count(std::string_view name) const {
    std::lock_guard lock{m_};
    int n = 0;
    for (auto& s : starts_)
      n += s.first == name;
    return n;
  }
  int end_count(std::string_view name) const {
    std::lock_guard lock{m_};
    int n = 0;
    for (auto& e : ends_)
      n += e == name;
    return n;
  }
  /// The job id of the latest incarnation of `name` that started (0 if none did).
  std::uint64_t last_job(std::string_view name) const {
    std::lock_guard lock{m_};
    for (auto i = starts_.rbegin(); i != starts_.rend(); ++i)
      if (i->first == name)
        return i->second;
    return 0;
  }

private:
  mutable std::mutex m_;
  std::vector<std::pair<std::string, std::uint64_t>> starts_;
  std::vector<std::string> ends_;
};

/// Lives in a child's frame: records the child's end in `t` when destroyed.
struct records_end {
  trace* t;
  const char* name;
  ~records_end() { t->ended(name); }
};

// -- children -----------------------------------------------------------------------------------

/// How a controllable child is told to end: return, raise `cancelled` itself, or fail.
enum class exit_kind : std::uint8_t { normal, cancelled, failed };
struct exit_cmd {
  exit_kind kind;
};

/// Records its start (and its end) in `t`, calls `ready` (a no-op for a child that counts as
/// started at once), then waits for one exit_cmd and ends as it says; a failure is
/// std::runtime_error("<name> failed"). `name` must outlive the child (a string literal).
inline job<void> controllable(std::shared_ptr<trace> t, const char* name, ready_token ready = {}) {
  records_end guard{t.get(), name};
  t->started(name, this_job::id());
  ready.ready();
  auto m = co_await receive<exit_cmd>();
  switch (m.value().kind) {
    case exit_kind::normal:
      co_return;
    case exit_kind::cancelled:
      throw cancelled{};
    case exit_kind::failed:
      break;
  }
  throw std::runtime_error(std::string(name) + " failed");
}

/// Sleeps for `d` (a job, for shield).
inline job<void> nap(clock::duration d) { co_await sleep(d); }

/// Ignores cancellation: idles in a shielded sleep of a day (a suspension point, so virtual time can
/// jump past any shutdown timeout); only a kill ends it early (after a day it returns: `normal`).
/// Its end is recorded by a destructor.
inline job<void> stubborn(std::shared_ptr<trace> t, const char* name, ready_token ready = {}) {
  records_end guard{t.get(), name};
  t->started(name, this_job::id());
  ready.ready();
  co_await shield(nap(std::chrono::hours(24)));
}

/// Obeys cancellation slowly: once cancelled it cleans up for `cleanup` (shielded), then ends
/// `cancelled`.
inline job<void> slow_to_stop(std::shared_ptr<trace> t, const char* name, clock::duration cleanup,
                              ready_token ready = {}) {
  records_end guard{t.get(), name};
  t->started(name, this_job::id());
  ready.ready();
  bool stopping = false;
  try {
    co_await sleep(std::chrono::hours(24));
  } catch (const cancelled&) {
    stopping = true;
  }
  if (stopping) {
    co_await shield(nap(cleanup));
    throw cancelled{};
  }
}

/// A ready-token child that never gets ready: after `after` it throws std::runtime_error("<name>
/// refused to start") (`throws`), or returns.
inline job<void> ends_before_ready(std::shared_ptr<trace> t, const char* name, clock::duration after, bool throws,
                                   ready_token /*never used*/) {
  records_end guard{t.get(), name};
  t->started(name, this_job::id());
  co_await sleep(after);
  if (throws)
    throw std::runtime_error(std::string(name) + " refused to start");
}

/// Waits for an exit_cmd without recording anything (for many children at once).
inline job<void> idle_child() {
  auto m = co_await receive<exit_cmd>();
  if (m.value().kind == exit_kind::failed)
    throw std::runtime_error("idle child failed");
}

// -- factories and specs (plain functions: see the file comment) ---------------------------------

/// A controllable child that counts as started at once.
inline child_spec::factory controllable_factory(std::shared_ptr<trace> t, const char* name) {
  return [t, name] { return controllable(t, name); };
}

/// `controllable` under `id`, counting as started once it has run (a ready-token child), so that
/// its start has been recorded by the time the supervisor goes on.
inline child_spec worker(std::shared_ptr<trace> t, const char* id, child_options options = {}) {
  return child_spec{id, [t, id](ready_token r) { return controllable(t, id, r); }, options};
}

/// `controllable` under `id`, counting as started as soon as it is spawned.
inline child_spec plain_worker(std::shared_ptr<trace> t, const char* id, child_options options = {}) {
  return child_spec{id, controllable_factory(t, id), options};
}

/// `stubborn` under `id` (a ready-token child).
inline child_spec stubborn_worker(std::shared_ptr<trace> t, const char* id, child_options options = {}) {
  return child_spec{id, [t, id](ready_token r) { return stubborn(t, id, r); }, options};
}

/// A factory that throws std::runtime_error("start refused") on its calls number `from` to `to`
/// (counted from 1 in `*calls`) and calls `then` otherwise. `refuses(1, n, ...)` fails its first n
/// starts.
inline child_spec::factory refuses(int from, int to, std::shared_ptr<std::atomic<int>> calls,
                                   child_spec::factory then) {
  return [from, to, calls, then = std::move(then)]() -> job<void> {
    int n = ++*calls;
    if (n >= from && n <= to)
      throw std::runtime_error("start refused");
    return then();
  };
}

// -- on_event recorder ----------------------------------------------------------------------------

/// A supervisor_event without its job_ref (a job id instead), so that it can outlive run().
struct recorded_event {
  supervisor_event::kind_t kind;
  std::string supervisor;
  std::string child;
  std::uint64_t job_id;  // 0 without a job
  exit_reason reason;
  std::exception_ptr error;
  clock::duration delay;
  unsigned restarts_in_period;
  clock::time_point at;
};

/// What the recorder sends the waiting job for each event.
struct event_note {};

/// Records every event of the supervisors whose spec got `handler()`, and tells `notify` (the test
/// body; may be empty) of each with an event_note, so that the body can wait for events.
class event_log : public std::enable_shared_from_this<event_log> {
public:
  static std::shared_ptr<event_log> make(job_ref notify) {
    auto log = std::make_shared<event_log>();
    log->notify_ = std::move(notify);
    return log;
  }
  std::function<void(const supervisor_event&)> handler() {
    return [self = shared_from_this()](const supervisor_event& e) { self->record(e); };
  }
  void record(const supervisor_event& e) {
    {
      std::lock_guard lock{m_};
      events_.push_back({e.kind, std::string(e.supervisor), std::string(e.child), e.job.valid() ? e.job.id() : 0,
                         e.reason, e.error, e.delay, e.restarts_in_period, e.at});
    }
    if (notify_.valid())
      notify_.send(event_note{});
  }
  std::vector<recorded_event> all() const {
    std::lock_guard lock{m_};
    return events_;
  }
  /// The events of `kind` for `child`, in order.
  std::vector<recorded_event> of(supervisor_event::kind_t kind, std::string_view child) const {
    std::lock_guard lock{m_};
    std::vector<recorded_event> out;
    for (auto& e : events_)
      if (e.kind == kind && e.child == child)
        out.push_back(e);
    return out;
  }
  std::size_t count(supervisor_event::kind_t kind, std::string_view child) const { return of(kind, child).size(); }
  std::size_t count(supervisor_event::kind_t kind) const {
    std::lock_guard lock{m_};
    std::size_t n = 0;
    for (auto& e : events_)
      n += e.kind == kind;
    return n;
  }

private:
  mutable std::mutex m_;
  std::vector<recorded_event> events_;
  job_ref notify_;
};

/// Waits (in the job `log` notifies) until `log` holds at least `n` events of `kind` for `child`.
/// Throws timeout_error if nothing happens for an hour (at once under virtual time).
inline job<void> wait_events(std::shared_ptr<event_log> log, supervisor_event::kind_t kind, std::string_view child,
                             std::size_t n) {
  for (int turn = 0; turn < 1'000'000; ++turn) {
    if (log->count(kind, child) >= n)
      co_return;
    co_await receive<event_note>(std::chrono::hours(1));
  }
  throw std::runtime_error("wait_events: no end");
}

/// As above, for events of `kind` of any child.
inline job<void> wait_events(std::shared_ptr<event_log> log, supervisor_event::kind_t kind, std::size_t n) {
  for (int turn = 0; turn < 1'000'000; ++turn) {
    if (log->count(kind) >= n)
      co_return;
    co_await receive<event_note>(std::chrono::hours(1));
  }
  throw std::runtime_error("wait_events: no end");
}

// -- calls and faults -------------------------------------------------------------------------------

/// The current job of child `id` (empty if it has none, or no such child).
inline job<job_ref> child_job(supervisor sup, std::string_view id) {
  auto kids = co_await sup.which_children();
  for (auto& k : kids)
    if (k.id == id)
      co_return k.job;
  co_return job_ref{};
}

/// Child `id`'s entry (nullopt if there is none).
inline job<std::optional<child_info>> child_entry(supervisor sup, std::string_view id) {
  auto kids = co_await sup.which_children();
  for (auto& k : kids)
    if (k.id == id)
      co_return k;
  co_return std::nullopt;
}

/// The ids of which_children(), in order.
inline job<std::vector<std::string>> child_ids(supervisor sup) {
  auto kids = co_await sup.which_children();
  std::vector<std::string> out;
  for (auto& k : kids)
    out.push_back(k.id);
  co_return out;
}

/// Job ids by child id (0 for a child without a job).
inline job<std::map<std::string, std::uint64_t>> job_ids(supervisor sup) {
  auto kids = co_await sup.which_children();
  std::map<std::string, std::uint64_t> out;
  for (auto& k : kids)
    out[k.id] = k.job.valid() ? k.job.id() : 0;
  co_return out;
}

/// Kills `j` (fault injection): its frame is torn down at its next turn and it ends `killed`.
inline void kill(const job_ref& j) { detail::record_access::of(j).request_kill(); }

/// Tells a controllable child how to end.
inline void tell(const job_ref& j, exit_kind kind) { j.send(exit_cmd{kind}); }

/// Awaits `j` and yields the supervisor_error it threw (nullopt if it threw none; any other
/// exception propagates).
template <class T>
job<std::optional<supervisor_error>> sup_error(job<T> j) {
  std::optional<supervisor_error> out;
  try {
    co_await std::move(j);
  } catch (const supervisor_error& e) {
    out = e;
  }
  co_return out;
}

/// Awaits the job behind `h` (a supervisor) and yields the supervisor_error it ended with.
inline job<std::optional<supervisor_error>> ended_with(handle<void> h) {
  std::optional<supervisor_error> out;
  try {
    co_await h;
  } catch (const supervisor_error& e) {
    out = e;
  } catch (const cancelled&) {
  }
  co_return out;
}

/// The supervisor_errc as text (for messages).
inline const char* errc_name(supervisor_errc c) {
  switch (c) {
    case supervisor_errc::start_failed: return "start_failed";
    case supervisor_errc::restart_intensity_exceeded: return "restart_intensity_exceeded";
    case supervisor_errc::already_present: return "already_present";
    case supervisor_errc::already_started: return "already_started";
    case supervisor_errc::running: return "running";
    case supervisor_errc::restarting: return "restarting";
    case supervisor_errc::not_found: return "not_found";
    case supervisor_errc::simple_one_for_one: return "simple_one_for_one";
  }
  return "?";
}

/// The code of `e` as text, or "none".
inline std::string code_of(const std::optional<supervisor_error>& e) { return e ? errc_name(e->code()) : "none"; }

/// what() of the exception in `e` ("" for null, "cancelled" for libactor's cancellation).
inline std::string what_of(const std::exception_ptr& e) {
  if (!e)
    return "";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (const cancelled&) {
    return "cancelled";
  } catch (...) {
    return "?";
  }
}

/// The supervisor_error in `e` (nullopt if it holds another exception or none).
inline std::optional<supervisor_error> as_supervisor_error(const std::exception_ptr& e) {
  if (!e)
    return std::nullopt;
  try {
    std::rethrow_exception(e);
  } catch (const supervisor_error& x) {
    return x;
  } catch (...) {
  }
  return std::nullopt;
}

/// Waits for `n` down messages (watch.hpp) and yields their reasons by job id.
inline job<std::map<std::uint64_t, exit_reason>> collect_downs(std::size_t n) {
  std::map<std::uint64_t, exit_reason> out;
  for (std::size_t i = 0; i < n; ++i) {
    auto m = co_await receive<down>(std::chrono::hours(1));
    out[m.value().job().id()] = m.value().reason();
  }
  co_return out;
}

/// Yields until live_job_frames(), not counting this job's own frame, is `expected` (frames of
/// ended jobs may go a moment after their `down`), at most `turns` times; returns that count.
inline job<std::int64_t> frames_settle(std::int64_t expected, int turns = 1000) {
  for (int i = 0; i < turns && live_job_frames() - 1 != expected; ++i)
    co_await yield();
  co_return live_job_frames() - 1;
}

/// The runtime most supervision tests run in: virtual time, so periods and timeouts are exact.
inline constexpr runtime_config virtual_clock{.virtual_time = true};

/// The elements of `v` from index `from` on (none if it is shorter).
inline std::vector<std::string> tail(const std::vector<std::string>& v, std::size_t from) {
  return from <= v.size() ? std::vector<std::string>(v.begin() + static_cast<std::ptrdiff_t>(from), v.end())
                          : std::vector<std::string>{};
}

/// Supervisor "sup" with `flags` over the workers a, b and c (ready-token children, in that
/// order); b gets `b_options`; `log`, if given, records the events.
inline supervisor_spec abc(std::shared_ptr<trace> t, std::shared_ptr<event_log> log, supervisor_flags flags,
                           child_options b_options = {}) {
  supervisor_spec spec{"sup", flags};
  spec.add(worker(t, "a")).add(worker(t, "b", b_options)).add(worker(t, "c"));
  if (log)
    spec.on_event(log->handler());
  return spec;
}

} // namespace libactor::testing
