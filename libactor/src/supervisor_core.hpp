#pragma once
// The job behind a supervisor (supervisor.hpp): its children, its restart bookkeeping, its loop.
// Everything here runs in the supervisor's own turns, so it needs no locks.

#include <libactor/supervisor.hpp>
#include <libactor/watch.hpp>

#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace libactor::detail {

/// A call to a supervisor (supervisor.hpp's methods), sent as an ask.
struct supervisor_request {
  enum op_t : std::uint8_t {
    start_child,     // spec
    start_dynamic,   // factory (empty: the template's)
    terminate_id,    // id
    terminate_job,   // job
    restart_child,   // id
    delete_child,    // id
    which_children,
    count_children,
  };
  op_t op;
  std::string id;
  job_ref job;
  std::shared_ptr<const child_spec> spec;
  child_spec::factory factory;
};

/// The answer: an error (rethrown by the caller) or what the call asked for.
struct supervisor_reply {
  std::exception_ptr error;
  handle<void> child;
  std::vector<child_info> children;
  child_counts counts;
};

class supervisor_core {
public:
  /// Throws usage_error for an invalid spec.
  explicit supervisor_core(supervisor_spec spec);
  const std::string& name() const noexcept { return spec_.name(); }

  /// The supervisor's body: starts the children, then serves until cancelled or escalating.
  static job<void> run(std::shared_ptr<supervisor_core> self, ready_token started);

private:
  struct child {
    std::shared_ptr<const child_spec> spec;
    std::string id;  // the spec's, or "<template id>-<n>" for a dynamic child
    handle<void> job;
    std::uint64_t job_id = 0;  // 0 unless running: a down for another id is stale
    std::uint64_t watch_id = 0;
    child_info::state_t state = child_info::stopped;
    bool held = false;  // stopped by terminate_child: group restarts leave it stopped
    unsigned backoff_n = 0;
    unsigned restarts = 0;
    clock::time_point started_at{};
    // While restarting: when to try. max(): it starts with the child whose retry is scheduled
    // (a member of a one_for_all or rest_for_one group).
    clock::time_point due = clock::time_point::max();
  };
  using child_ptr = std::unique_ptr<child>;

  // Stops every running child when the frame goes without having stopped them (a kill).
  struct orphan_guard {
    supervisor_core* core;
    ~orphan_guard();
  };

  job<void> start_all();
  job<void> serve();
  job<void> on_down(const down& d);
  job<void> on_request(supervisor_request& rq, supervisor_reply& out);
  job<void> run_due_retries();
  /// Starts `c` (spawn, watch, wait for ready). Returns the failure, or null once it runs.
  job<std::exception_ptr> start(child* c);
  /// Stops `c` by its shutdown policy and waits until it has ended. Runs shielded.
  job<void> stop(child* c);
  /// Stops the running children in `group`, in reverse order (all at once for dynamic children).
  job<void> stop_group(std::vector<child*> group);
  /// Stops the running members of `c`'s group but `c` (reverse order); temporary ones are removed.
  job<void> stop_siblings(child* c);
  /// Stops the group of `c`, then starts it in order; a failed start is scheduled for a retry.
  job<void> restart_group(child* c);

  std::vector<child*> group_of(child* c);
  std::vector<child*> all_children();
  child* find(std::string_view id);
  child* find_job(std::uint64_t job_id);
  void erase(child* c);
  /// Records a restart now; false (and the escalation noted) when it exceeds the intensity.
  bool count_restart(child* c, const std::exception_ptr& cause);
  clock::duration next_backoff(child* c);
  void schedule_restart(child* c, const std::exception_ptr& cause);
  void emit(supervisor_event::kind_t kind, const child* c, exit_reason reason = exit_reason::normal,
            std::exception_ptr error = nullptr, clock::duration delay = {});
  [[noreturn]] void fail(supervisor_errc code, const std::string& id, std::exception_ptr cause = nullptr) const;
  bool simple() const noexcept { return spec_.flags().strategy == restart_strategy::simple_one_for_one; }

  supervisor_spec spec_;
  std::vector<child_ptr> children_;  // start order
  std::deque<clock::time_point> restarts_;  // within the period
  std::mt19937_64 rng_;
  std::uint64_t dynamic_count_ = 0;
  // Set when the supervisor gives up: a start failure or an escalation.
  std::optional<supervisor_error> failure_;
};

} // namespace libactor::detail
