#pragma once
/// @file task_group.hpp
/// `task_group`: a nursery (Trio's nursery, asyncio.TaskGroup). Every job spawned into the group
/// has ended by the time `run` returns.
///
/// `run(body)` spawns `body(group)` as its own job and waits until the body and every child have
/// ended. The first failure — of the body or of a child — cancels everything else in the group;
/// once all have ended, run throws one `exception_group` naming every job that failed (cancellations
/// are never counted as failures). `group.cancel()` cancels the body and all children, and run then
/// returns normally. If the job running the group is cancelled, all members are cancelled and have
/// ended before `cancelled` propagates.
///
/// The body runs as its own job (so a failing child can interrupt it wherever it waits): messages
/// to "the current job" inside the body go to the body, not to the job that called run.
///
/// `co_await group.start(fn)` (Trio's nursery.start) spawns `fn(token)` into the group and returns
/// its handle only once the child has called `token.ready()` — say, once a server is listening.
///
/// @code
/// co_await la::task_group::run([](la::task_group& g) -> la::job<void> {
///   g.spawn(fetch("url1"), {.name = "fetch-1"});
///   auto h = g.spawn(fetch("url2"));
///   std::string page = co_await h;           // children can be awaited like any handle
///   auto srv = co_await g.start([](la::task_group::ready_token t) -> la::job<void> {
///     co_await listen();
///     t.ready();                             // start() returns here; the server keeps running
///     co_await serve();
///   });
/// });
/// @endcode

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <libactor/detail/children.hpp>
#include <libactor/errors.hpp>
#include <libactor/handle.hpp>
#include <libactor/job.hpp>
#include <libactor/message.hpp>
#include <libactor/ready_token.hpp>
#include <libactor/shield.hpp>
#include <libactor/spawn.hpp>
#include <libactor/this_job.hpp>

namespace libactor {

/// The failures of a task group's members, thrown once by task_group::run.
class exception_group : public error {
public:
  /// One failed member: its name and what it threw.
  struct entry {
    std::string name;
    std::exception_ptr exception;
  };

  explicit exception_group(std::vector<entry> entries)
    : error(describe(entries)), entries_(std::make_shared<const std::vector<entry>>(std::move(entries))) {}

  /// Every failure, in the order they happened.
  const std::vector<entry>& entries() const noexcept { return *entries_; }
  /// The number of failures.
  std::size_t size() const noexcept { return entries_->size(); }
  /// The exceptions, in the order they happened.
  std::vector<std::exception_ptr> exceptions() const {
    std::vector<std::exception_ptr> out;
    for (auto& e : *entries_)
      out.push_back(e.exception);
    return out;
  }
  /// The names of the failed jobs, in the same order.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (auto& e : *entries_)
      out.push_back(e.name);
    return out;
  }

private:
  static std::string describe(const std::vector<entry>& entries) {
    std::string text = "libactor: " + std::to_string(entries.size()) + " job(s) of a task group failed";
    for (auto& e : entries) {
      text += (&e == &entries.front()) ? ": " : "; ";
      text += e.name + ": ";
      try {
        std::rethrow_exception(e.exception);
      } catch (const std::exception& ex) {
        text += ex.what();
      } catch (...) {
        text += "(an exception not derived from std::exception)";
      }
    }
    return text;
  }
  // Shared: copying an exception must not throw.
  std::shared_ptr<const std::vector<entry>> entries_;
};

/// A nursery of jobs; see the file comment. Only `run` creates one, and it lives until run ends.
class task_group {
public:
  task_group(const task_group&) = delete;
  task_group& operator=(const task_group&) = delete;

  /// What a job started with `start` receives: it calls `ready()` once it is ready for business.
  using ready_token = libactor::ready_token;

  /// Spawns `body(group)` and waits until it and every job spawned into the group have ended.
  /// Throws exception_group if any of them failed, `cancelled` if the calling job was cancelled.
  template <class Body>
    requires std::is_invocable_r_v<job<void>, Body&, task_group&>
  static job<void> run(Body body) {
    task_group group;
    group.spawn(body(group), {.name = "task_group-body"});
    co_await group.supervise();
  }

  /// Spawns `j` as a member of the group (from the body, a child, or any job while the group
  /// runs). Throws usage_error once the group has ended. In a cancelled group the job is cancelled
  /// at once (it never starts).
  template <class T>
  handle<T> spawn(job<T> j, spawn_options options = {}) {
    if (!j.valid())
      throw usage_error("libactor: spawn of an empty (moved-from) job");
    std::lock_guard lock{mutex_};
    if (closed_)
      throw usage_error("libactor: spawn into a task group that has ended");
    auto h = libactor::spawn(member(std::move(j), this), options);
    members_.push_back(h);
    if (cancelling_)
      h.cancel();
    return h;
  }

  /// Spawns `fn(token)` as a member of the group and returns its handle once it has called
  /// `token.ready()`. If the child ends first, start rethrows its failure (which the group also
  /// handles as any member's: the group is cancelled), or throws usage_error if it returned or was
  /// cancelled without calling ready. If the calling job is cancelled meanwhile — also by the group
  /// itself, when the caller is a member such as the body — the child is cancelled, and `cancelled`
  /// is raised once it has ended. `fn` is called once (a function or a non-capturing lambda).
  template <class Fn, class J = std::invoke_result_t<Fn&, ready_token>>
    requires std::same_as<J, job<typename J::value_type>>
  job<handle<typename J::value_type>> start(Fn fn, spawn_options options = {}) {
    auto state = std::make_shared<detail::start_state>(this_job::ref(), detail::next_start_key());
    auto h = spawn(detail::announce_end(fn(ready_token{state}), detail::signal_end{state}), options);
    if (co_await detail::wait_ready(state))
      co_return h;
    // The child has ended or is about to, or this job was cancelled (then any_of cancels the child).
    detail::record_base* child[] = {&detail::record_access::of(h)};
    co_await detail::any_of(child);
    if (this_job::cancelled())
      throw cancelled{};  // also when the child had ended already
    try {
      co_await h;  // rethrows its failure
    } catch (const cancelled&) {
    }
    throw usage_error("libactor: a job started with task_group::start ended without calling ready()");
  }

  /// Cancels the body and every child; run then returns normally unless a member failed.
  /// Idempotent, callable from any job.
  void cancel() {
    std::lock_guard lock{mutex_};
    cancel_locked();
  }

  /// True once cancel() was called or a member failed.
  bool cancel_called() const {
    std::lock_guard lock{mutex_};
    return cancelling_;
  }

private:
  task_group() = default;

  void cancel_locked() {
    cancelling_ = true;
    for (auto& m : members_)
      m.cancel();
  }

  // Runs in the failing member's own turn, before its record is published.
  void on_failure(std::exception_ptr e) {
    std::lock_guard lock{mutex_};
    failures_.push_back({this_job::name(), std::move(e)});
    if (!cancelling_)
      cancel_locked();
  }

  template <class T>
  static job<T> member(job<T> j, task_group* group) {
    try {
      if constexpr (std::is_void_v<T>)
        co_await std::move(j);
      else
        co_return co_await std::move(j);
    } catch (const cancelled&) {
      throw;
    } catch (...) {
      group->on_failure(std::current_exception());
      throw;
    }
  }

  // The next member that has not ended, or nullptr (and the group closes) when all have.
  detail::record_base* next_running() {
    std::lock_guard lock{mutex_};
    while (waited_ < members_.size() && members_[waited_].done())
      ++waited_;
    if (waited_ < members_.size())
      return &detail::record_access::of(members_[waited_]);
    closed_ = true;
    return nullptr;
  }

  // Members may be added while this waits (by members still running): it ends once all have ended.
  job<void> wait_members() {
    for (auto* next = next_running(); next != nullptr; next = next_running()) {
      detail::record_base* one[] = {next};
      co_await detail::any_of(one);
    }
  }

  job<void> supervise() {
    bool interrupted = false;
    try {
      co_await wait_members();
    } catch (const cancelled&) {
      interrupted = true;
    }
    if (interrupted) {
      cancel();
      co_await shield(wait_members());
      throw cancelled{};  // failures meanwhile stay unretrieved: their records log them
    }
    std::vector<exception_group::entry> failures = std::move(failures_);  // all members have ended
    for (auto& m : members_) {
      try {
        detail::record_access::of(m).rethrow_if_failed();  // reported here, so retrieved
      } catch (...) {
      }
    }
    if (!failures.empty())
      throw exception_group(std::move(failures));
  }

  mutable std::mutex mutex_;
  std::vector<job_ref> members_;  // the body first
  std::vector<exception_group::entry> failures_;
  std::size_t waited_ = 0;  // members_[0, waited_) have ended
  bool cancelling_ = false;
  bool closed_ = false;
};

} // namespace libactor
