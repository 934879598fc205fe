#include "io_threads.hpp"

#include <pthread.h>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include <caf/actor_system.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include "job_actor.hpp"
#include "log.hpp"

namespace libactor::detail {

namespace {
/// Most events a job handles in one turn before the I/O thread serves its other handlers.
constexpr std::size_t turn_budget = 64;

/// The one reference a queued turn carries, given back even when the io_context is destroyed with
/// the turn still queued (at shutdown).
struct queued_turn {
  io_thread* home;
  job_actor* job;
  queued_turn(io_thread* h, job_actor* j) noexcept : home(h), job(j) {}
  queued_turn(queued_turn&& other) noexcept : home(other.home), job(std::exchange(other.job, nullptr)) {}
  queued_turn& operator=(queued_turn&&) = delete;
  ~queued_turn() {
    if (job != nullptr)
      caf::intrusive_ptr_release(static_cast<caf::resumable*>(job));
  }
};

thread_local io_thread* tl_io_thread = nullptr;
} // namespace

io_thread::io_thread(caf::actor_system& system, std::size_t index)
  : caf::execution_unit(&system), index_(index), work_(ctx_.get_executor()) {
  // Asio creates a context's reactor (epoll, eventfd and timerfd descriptors) with its first
  // socket. Creating it now keeps a server's descriptor count flat after start-up, which makes
  // leaks visible.
  { boost::asio::ip::tcp::socket warm_up(ctx_); }
  thread_ = std::thread([this] {
    tl_io_thread = this;
    // Threads inherit their creator's name (often a CAF worker's): name it for top, perf and gdb.
    pthread_setname_np(pthread_self(), ("libactor.io-" + std::to_string(index_)).substr(0, 15).c_str());
    for (;;) {
      try {
        ctx_.run();
        return;
      } catch (const std::exception& e) {
        // A handler failed (out of memory while waking a job): the thread must go on serving the
        // other sockets and jobs homed here.
        log().error("I/O thread {}: a handler failed: {}", index_, e.what());
      }
    }
  });
}

io_thread::~io_thread() { stop(); }

bool io_thread::running_here() const noexcept { return tl_io_thread == this; }

void io_thread::stop() {
  if (!thread_.joinable())
    return;
  work_.reset();
  ctx_.stop();
  thread_.join();
}

void io_thread::schedule(job_actor* job) {
  boost::asio::post(ctx_, [turn = queued_turn{this, job}]() mutable {
    turn.home->run_turn(std::exchange(turn.job, nullptr));
  });
}

void io_thread::exec_later(caf::resumable* ptr) { system().scheduler().enqueue(ptr); }

void io_thread::run_turn(job_actor* job) {
  auto* as_resumable = static_cast<caf::resumable*>(job);
  switch (job->resume(this, turn_budget)) {
    case caf::resumable::resume_later:
      schedule(job);  // behind the socket events already queued: a busy job cannot starve them
      break;
    default:
      caf::intrusive_ptr_release(as_resumable);
      break;
  }
}

io_threads::io_threads(caf::actor_system& system, unsigned count) : system_(system), count_(count) {}

io_threads::~io_threads() { stop(); }

void io_threads::start_once() {
  std::call_once(started_, [this] {
    threads_.reserve(count_);
    for (unsigned i = 0; i < count_; ++i)
      threads_.push_back(std::make_unique<io_thread>(system_, i));
  });
}

io_thread& io_threads::next() {
  start_once();
  return *threads_[next_.fetch_add(1, std::memory_order_relaxed) % threads_.size()];
}

io_thread* io_threads::current() noexcept { return tl_io_thread; }

void io_threads::stop() {
  for (auto& t : threads_)
    t->stop();
}

} // namespace libactor::detail
