#pragma once
/// @file supervisor.hpp
/// Supervision trees (Erlang/OTP's supervisor, Akka typed's supervision).
///
/// A supervisor is a job that starts its children from `child_spec`s, watches them, and restarts
/// them by its strategy when they end — re-running each child's factory, so every incarnation starts
/// from a fresh state. Too many restarts within a period (its intensity) make it give up: it stops
/// every child in reverse start order and fails with `supervisor_error{restart_intensity_exceeded}`,
/// so that its own supervisor can decide (escalation). docs/supervision.md maps OTP and Akka
/// concepts onto this header.
///
/// @code
/// la::supervisor_spec spec{"pipeline", {.strategy = la::restart_strategy::rest_for_one, .intensity = 5,
///                                       .period = 1s}};
/// spec.add({"reader", [] { return reader(); }})
///     .add({"parser", [] { return parser(); }, {.restart = la::restart_type::transient}});
/// la::supervisor sup = co_await la::start_supervisor(std::move(spec));   // all children started
/// auto kids = co_await sup.which_children();
/// co_await sup.stop();                                                   // in reverse order
/// @endcode

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <libactor/errors.hpp>
#include <libactor/exit_reason.hpp>
#include <libactor/handle.hpp>
#include <libactor/job.hpp>
#include <libactor/ready_token.hpp>
#include <libactor/spawn.hpp>
#include <libactor/time.hpp>

namespace libactor {

/// Which children a supervisor restarts when one of them has to be restarted.
enum class restart_strategy : std::uint8_t {
  one_for_one,         ///< only that child
  one_for_all,         ///< every child: the others are stopped (reverse order), then all start in order
  rest_for_one,        ///< that child and those started after it
  simple_one_for_one,  ///< one_for_one over dynamic children made from one template (start_child)
};

/// When a child is restarted (OTP's restart types).
enum class restart_type : std::uint8_t {
  permanent,  ///< always
  transient,  ///< only after an abnormal end (failed or killed), not after normal or cancelled
  temporary,  ///< never; its spec is removed when it ends
};

/// A child is a worker, or a supervisor itself (shown by count_children; shuts down with infinity).
enum class child_kind : std::uint8_t { worker, supervisor };

/// How a supervisor stops a child (OTP's shutdown). Trivially copyable.
struct shutdown_policy {
  enum mode_t : std::uint8_t {
    by_kind,      ///< 5 s for a worker, infinity for a supervisor (OTP's defaults)
    timeout,      ///< cancel, and kill it if it has not ended after `after`
    brutal_kill,  ///< kill at once (its frame is torn down; destructors run)
    infinity,     ///< cancel and wait as long as it takes
  };
  mode_t mode = by_kind;
  clock::duration after{};

  static constexpr shutdown_policy within(clock::duration d) noexcept { return {timeout, d}; }
  static constexpr shutdown_policy kill() noexcept { return {brutal_kill, {}}; }
  static constexpr shutdown_policy wait_forever() noexcept { return {infinity, {}}; }
};

/// A child spec's options. Trivially copyable.
struct child_options {
  restart_type restart = restart_type::permanent;
  shutdown_policy shutdown{};
  child_kind kind = child_kind::worker;
};

/// Exponential backoff between restarts (Akka's restartWithBackoff). Off while `min` is zero.
/// The n-th consecutive restart of a child waits min(max, min·2ⁿ)·(1 + U[0,1)·random_factor);
/// n goes back to 0 once the child has run `reset_after` without ending. Trivially copyable.
struct backoff_options {
  clock::duration min{};
  clock::duration max{};
  double random_factor = 0.2;
  /// Zero: (min + max) / 2, as in Akka typed.
  clock::duration reset_after{};
  /// Seed of the jitter; 0 picks a random one.
  std::uint64_t seed = 0;
};

/// A supervisor's flags (OTP's sup_flags). Trivially copyable.
struct supervisor_flags {
  restart_strategy strategy = restart_strategy::one_for_one;
  /// More than `intensity` restarts within `period` (counted over all children) escalate.
  unsigned intensity = 1;
  clock::duration period = std::chrono::seconds(5);
  backoff_options backoff{};
};

/// How to start one child: an id, a factory re-run on every (re)start, and options.
class child_spec {
public:
  using factory = std::function<job<void>()>;
  using ready_factory = std::function<job<void>(ready_token)>;

  /// A child that counts as started as soon as it is spawned.
  child_spec(std::string id, factory start, child_options options = {})
    : id_(std::move(id)), start_(std::move(start)), options_(options) {}
  /// A child that counts as started once it has called `ready()` on its token (the supervisor's
  /// start waits until then, or until it ends: a start failure).
  child_spec(std::string id, ready_factory start, child_options options = {})
    : id_(std::move(id)), start_ready_(std::move(start)), options_(options) {}

  const std::string& id() const noexcept { return id_; }
  const child_options& options() const noexcept { return options_; }
  bool waits_for_ready() const noexcept { return static_cast<bool>(start_ready_); }
  /// Runs the factory (the supervisor does, in its own turn).
  job<void> make(ready_token token) const { return start_ready_ ? start_ready_(std::move(token)) : start_(); }

private:
  std::string id_;
  factory start_;
  ready_factory start_ready_;
  child_options options_;
};

/// A child's entry in which_children().
struct child_info {
  enum state_t : std::uint8_t {
    running,     ///< its job is running (or has just ended and is being handled)
    restarting,  ///< waiting for its restart (backoff) or for another try after a failed start
    stopped,     ///< not running: terminate_child, a transient end, or a failed restart_child
  };
  std::string id;
  job_ref job;  ///< the current incarnation (empty unless running)
  state_t state;
  child_kind kind;
  unsigned restarts;  ///< how often this child has been restarted so far
};

/// count_children()'s answer (OTP's specs, active, supervisors, workers).
struct child_counts {
  std::size_t specs = 0;
  std::size_t active = 0;  ///< children whose job is running
  std::size_t supervisors = 0;
  std::size_t workers = 0;
};

/// What happened in a supervisor, for `on_event` (logging, metrics, tests).
struct supervisor_event {
  enum kind_t : std::uint8_t {
    started,       ///< a child (re)started
    exited,        ///< a child ended by itself (reason, error)
    restarting,    ///< a child will restart after `delay` (zero without backoff)
    start_failed,  ///< starting a child failed (error)
    terminated,    ///< the supervisor stopped a child (reason: how it ended)
    escalated,     ///< restart intensity exceeded: the supervisor stops everything and fails
  };
  kind_t kind;
  std::string supervisor;
  std::string child;
  job_ref job;  ///< the child's job (empty for a start that failed before spawning it)
  exit_reason reason = exit_reason::normal;
  std::exception_ptr error;
  clock::duration delay{};
  /// Restarts counted within the period, this one included.
  unsigned restarts_in_period = 0;
  clock::time_point at{};
};

/// A supervisor's spec: its name, flags and children (in start order). For simple_one_for_one,
/// exactly one child: the template of the dynamic children.
class supervisor_spec {
public:
  explicit supervisor_spec(std::string name, supervisor_flags flags = {})
    : name_(std::move(name)), flags_(flags) {}
  supervisor_spec& add(child_spec child) {
    children_.push_back(std::move(child));
    return *this;
  }
  /// Called in the supervisor's turn for each event; exceptions it throws are logged and ignored.
  /// (Only then are events built: a supervisor without a handler allocates nothing for them.)
  supervisor_spec& on_event(std::function<void(const supervisor_event&)> fn) {
    on_event_ = std::move(fn);
    return *this;
  }
  const std::string& name() const noexcept { return name_; }
  const supervisor_flags& flags() const noexcept { return flags_; }
  const std::vector<child_spec>& children() const noexcept { return children_; }
  const std::function<void(const supervisor_event&)>& event_handler() const noexcept { return on_event_; }

private:
  std::string name_;
  supervisor_flags flags_;
  std::vector<child_spec> children_;
  std::function<void(const supervisor_event&)> on_event_;
};

/// What went wrong, in supervisor_error::code().
enum class supervisor_errc : std::uint8_t {
  start_failed,                ///< a child failed to start (child_id, cause)
  restart_intensity_exceeded,  ///< escalation (child_id: the child whose end tipped it; cause)
  already_present,             ///< start_child: a stopped child with that id exists
  already_started,             ///< start_child: a running child with that id exists
  running,                     ///< restart_child, delete_child: the child is running
  restarting,                  ///< restart_child, delete_child: the child is restarting
  not_found,                   ///< no child with that id (or job)
  simple_one_for_one,          ///< an id-based call on a simple_one_for_one supervisor
};

/// A supervisor's failure, or a refused request.
class supervisor_error : public error {
public:
  supervisor_error(supervisor_errc code, std::string supervisor, std::string child_id, std::exception_ptr cause);
  supervisor_errc code() const noexcept { return code_; }
  const std::string& child_id() const noexcept { return child_id_; }
  /// The child's failure (start_failed, restart_intensity_exceeded), or null.
  std::exception_ptr cause() const noexcept { return cause_; }

private:
  supervisor_errc code_;
  std::string child_id_;
  std::exception_ptr cause_;
};

namespace detail {
struct supervisor_request;
struct supervisor_reply;
job<handle<void>> call_for_child(job_ref sup, std::unique_ptr<supervisor_request> request);
job<void> call_for_nothing(job_ref sup, std::unique_ptr<supervisor_request> request);
job<std::vector<child_info>> call_for_children(job_ref sup);
job<child_counts> call_for_counts(job_ref sup);
} // namespace detail

/// A running supervisor: a handle to its job (await it to see how it ended) plus OTP's calls.
/// Every call waits while the supervisor is busy starting or stopping a child; requests are
/// answered in order. Calls throw supervisor_error for a refused request and ask_error once the
/// supervisor has ended.
class supervisor : public handle<void> {
public:
  supervisor() noexcept = default;
  /// `ref` must be a supervisor's job (say, a child of kind `supervisor` from which_children()).
  explicit supervisor(job_ref ref);

  /// Adds a child and starts it (dynamic children of a simple_one_for_one: use the overloads below).
  job<handle<void>> start_child(child_spec spec) const;
  /// simple_one_for_one: starts a child from the template.
  job<handle<void>> start_child() const;
  /// simple_one_for_one: starts a child with the template's options and this factory. Dynamic
  /// children are listed as "<template id>-<n>".
  job<handle<void>> start_child(child_spec::factory start) const;
  /// Stops a child by its shutdown policy and keeps its spec (a temporary child's is removed).
  job<void> terminate_child(std::string_view id) const;
  /// simple_one_for_one: stops a dynamic child and removes it.
  job<void> terminate_child(const job_ref& child) const;
  /// Starts a stopped child again.
  job<handle<void>> restart_child(std::string_view id) const;
  /// Removes a stopped child's spec.
  job<void> delete_child(std::string_view id) const;
  /// Every child, in start order.
  job<std::vector<child_info>> which_children() const { return detail::call_for_children(*this); }
  job<child_counts> count_children() const { return detail::call_for_counts(*this); }
  /// Cancels the supervisor and waits until it (and so every child) has ended.
  job<void> stop() const;
};

/// Spawns a supervisor and returns once it has started every child, in order. If a child fails to
/// start, the ones started are stopped in reverse order and this throws supervisor_error
/// {start_failed} naming the child, with its failure as the cause.
job<supervisor> start_supervisor(supervisor_spec spec, spawn_options options = {});

/// A supervisor's body, run in the current job: for nesting one supervisor in another,
/// `child_spec{"sub", [](la::ready_token t) { return la::supervise(sub_spec(), t); },
/// {.kind = la::child_kind::supervisor}}`. Calls `started.ready()` once every child has started.
/// Ends with `cancelled` when cancelled (after stopping its children), or with supervisor_error.
job<void> supervise(supervisor_spec spec, ready_token started = {});

} // namespace libactor
