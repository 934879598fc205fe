#pragma once
/// @file watch.hpp
/// Watching and linking jobs (Erlang's monitors and links, Akka's watch and DeathPact).
///
/// `watch(job)` asks for one `down` message when `job` ends, with its exit reason (and its
/// exception when it failed). `link(job)` ties the current job and `job` together: when one ends
/// with anything but `normal`, the other is cancelled, unless it traps exits, in which case it gets
/// an `exit_signal` message instead (for every end, normal included).
///
/// @code
/// auto id = la::watch(worker);
/// auto m = co_await la::receive<la::down>();
/// if (m.value().reason() == la::exit_reason::failed) log(m.value().error());
///
/// la::link(partner);                 // if partner fails, this job is cancelled and ends with
///                                    // linked_failure naming it (so a supervisor restarts it)
/// @endcode

#include <cstdint>
#include <exception>
#include <string>

#include <libactor/errors.hpp>
#include <libactor/exit_reason.hpp>
#include <libactor/handle.hpp>

namespace libactor {

/// The message a watching job receives when the watched job has ended (Erlang's 'DOWN').
///
/// Exactly one per `watch` (unless `unwatch` removed it first). It arrives after every message
/// the ended job sent to the watcher; a watch of a job that has already ended delivers at once,
/// with the real reason (Erlang would say `noproc`).
class down {
public:
  down(job_ref job, std::uint64_t watch_id, exit_reason reason) noexcept
    : job_(std::move(job)), watch_id_(watch_id), reason_(reason) {}
  /// The job that ended.
  const job_ref& job() const noexcept { return job_; }
  /// The id `watch` returned.
  std::uint64_t watch_id() const noexcept { return watch_id_; }
  exit_reason reason() const noexcept { return reason_; }
  /// The job's exception when it failed (null otherwise). Reading it counts as retrieving it, so
  /// the job is not logged as "exception never retrieved".
  std::exception_ptr error() const;

private:
  job_ref job_;
  std::uint64_t watch_id_;
  exit_reason reason_;
};

/// What a job that traps exits receives, instead of being cancelled, when a linked job ends
/// (Erlang's {'EXIT', From, Reason}).
class exit_signal {
public:
  exit_signal(job_ref from, exit_reason reason) noexcept : from_(std::move(from)), reason_(reason) {}
  /// The linked job that ended.
  const job_ref& from() const noexcept { return from_; }
  exit_reason reason() const noexcept { return reason_; }
  /// Its exception when it failed (null otherwise); reading it retrieves it.
  std::exception_ptr error() const;

private:
  job_ref from_;
  exit_reason reason_;
};

/// How a job ends when a job linked to it failed or was killed: the link cancelled it, and this
/// replaces the `cancelled` outcome so that watchers and supervisors see an abnormal end, as
/// Erlang propagates the exit reason along links.
class linked_failure : public error {
public:
  linked_failure(std::string job_name, exit_reason reason, std::exception_ptr cause);
  /// The name of the linked job whose end caused this one.
  const std::string& job_name() const noexcept { return job_name_; }
  /// failed or killed.
  exit_reason reason() const noexcept { return reason_; }
  /// The linked job's exception (null when it was killed).
  std::exception_ptr cause() const noexcept { return cause_; }

private:
  std::string job_name_;
  exit_reason reason_;
  std::exception_ptr cause_;
};

/// Watches `target` from the current job: one `down` message arrives when it ends. Returns the
/// watch's id. Throws usage_error outside a job, for an empty reference, or for the job itself.
std::uint64_t watch(const job_ref& target);

/// Removes the watch `id` of `target`. True if it was removed before `target` ended; false if the
/// `down` was already sent (it stays in the mailbox) or no such watch exists.
bool unwatch(const job_ref& target, std::uint64_t id);

/// Links the current job and `other` (symmetric, idempotent). From then on, when either ends with
/// a reason other than `normal`, the other is cancelled (see linked_failure), or gets an
/// `exit_signal` if it traps exits. Linking to a job that has already ended acts at once.
/// Throws usage_error outside a job, for an empty reference, or for the job itself.
void link(const job_ref& other);

/// Removes the link with `other`. Once it returns, no end of `other` affects the current job, even
/// one that was already on its way (Erlang's guarantee). No-op if not linked.
void unlink(const job_ref& other);

namespace this_job {
/// Trap exits (Erlang's process_flag(trap_exit, true)): ends of linked jobs arrive as
/// `exit_signal` messages instead of cancelling the current job.
void trap_exits(bool on);
/// Whether the current job traps exits.
bool traps_exits();
} // namespace this_job

} // namespace libactor
