#pragma once
// I/O threads: each runs one Asio io_context that owns sockets, and executes the turns of the jobs
// homed on it (docs/architecture.md, "The I/O path").
//
// Why: a socket completion that wakes a job on a CAF worker is a cross-thread wake-up, which costs
// more than a whole loopback echo round trip. CAF's own brokers avoid it by running on the
// multiplexer's thread; libactor does the same for connection jobs. A job homed on an I/O thread
// is still an ordinary job — an actor with a mailbox whose coroutine runs only in its own turns —
// but its turns are posted to the io_context instead of CAF's scheduler, so a socket event, the
// job's turn and its next system call all happen on one thread without a hand-off.

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <caf/execution_unit.hpp>

namespace caf {
class resumable;
}

namespace libactor::detail {

class job_actor;

class io_thread final : public caf::execution_unit {
public:
  io_thread(caf::actor_system& system, std::size_t index);
  ~io_thread() override;
  io_thread(const io_thread&) = delete;
  io_thread& operator=(const io_thread&) = delete;

  boost::asio::io_context& context() noexcept { return ctx_; }
  /// True on this I/O thread (inside one of its handlers or job turns).
  bool running_here() const noexcept;

  /// Queues a turn of `job`, which carries one reference that the turn gives back. From any thread.
  void schedule(job_actor* job);
  /// CAF's hand-off for actors woken from a turn running here: jobs homed here never come this way
  /// (job_actor routes them to schedule()), so whatever does belongs to CAF's scheduler.
  void exec_later(caf::resumable* ptr) override;

  /// Stops the loop and joins the thread; handlers still queued are destroyed, not run.
  void stop();

private:
  void run_turn(job_actor* job);

  std::size_t index_;
  boost::asio::io_context ctx_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

/// The I/O threads of one runtime, started on first use.
class io_threads {
public:
  io_threads(caf::actor_system& system, unsigned count);
  ~io_threads();

  /// The next I/O thread in round-robin order (starts them all on first use).
  io_thread& next();
  /// The I/O thread running this code, or nullptr.
  io_thread* current() noexcept;
  /// Stops and joins every started thread.
  void stop();

private:
  void start_once();

  caf::actor_system& system_;
  const unsigned count_;
  std::once_flag started_;
  std::vector<std::unique_ptr<io_thread>> threads_;
  std::atomic<std::size_t> next_{0};
};

} // namespace libactor::detail
