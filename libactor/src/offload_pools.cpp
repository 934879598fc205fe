#include "offload_pools.hpp"

#include <boost/asio/post.hpp>

#include "log.hpp"
#include "runtime.hpp"
#include "timers.hpp"

namespace libactor {

capacity_limiter& default_thread_limiter() {
  auto* rt = detail::runtime::current();
  if (rt == nullptr)
    throw usage_error("libactor: default_thread_limiter() called while no runtime is running");
  return rt->pools().default_limiter();
}

} // namespace libactor

namespace libactor::detail {

void submit(pool_kind kind, std::shared_ptr<offload_call> call) noexcept {
  // The job is already parked: a failure must complete the call, not unwind through the awaiter.
  auto* rt = runtime::current();
  try {
    if (rt == nullptr)
      throw usage_error("libactor: to_thread called while no runtime is running");
    rt->pools().submit(kind, call);
  } catch (...) {
    call->refused = std::current_exception();
    call->done.store(true, std::memory_order_release);
    try {
      if (call->limiter != nullptr)
        call->limiter->release_on_behalf_of(call.get());
      unpark(call->waiter);
    } catch (const std::exception& e) {
      log().critical("to_thread: could not report a refused call: {}", e.what());
    }
  }
}

offload_pools::offload_pools(unsigned blocking_threads, unsigned cpu_threads, timer_service& timers)
  : blocking_threads_(blocking_threads), cpu_threads_(cpu_threads), timers_(timers) {}

offload_pools::~offload_pools() = default;  // joins the pools' threads (after a successful drain)

boost::asio::thread_pool& offload_pools::pool(pool_kind kind) {
  // Under mu_. Created on first use: a program that never offloads starts no thread.
  auto& slot = kind == pool_kind::blocking ? blocking_ : cpu_;
  if (slot == nullptr)
    slot = std::make_unique<boost::asio::thread_pool>(kind == pool_kind::blocking ? blocking_threads_ : cpu_threads_);
  return *slot;
}

void offload_pools::submit(pool_kind kind, std::shared_ptr<offload_call> call) {
  std::lock_guard guard{mu_};
  if (closed_)
    throw usage_error("libactor: to_thread called while the runtime is shutting down");
  auto& target = pool(kind);  // may throw (no thread could be started): nothing counted yet
  ++in_flight_;
  if (timers_.is_virtual())
    timers_.busy_inc();  // virtual time must not jump past work running on a pool thread
  boost::asio::post(target, [this, call = std::move(call)] {
    if (!call->abandoned.load(std::memory_order_acquire))
      call->invoke();
    call->done.store(true, std::memory_order_release);
    complete(*call);
  });
}

void offload_pools::complete(offload_call& call) {
  std::lock_guard guard{mu_};
  if (closed_)
    return;  // the runtime is going away; nobody waits any more
  try {
    if (call.limiter != nullptr)
      call.limiter->release_on_behalf_of(&call);
    unpark(call.waiter);
  } catch (const std::exception& e) {
    log().error("to_thread: could not hand back a finished call: {}", e.what());
  }
  if (timers_.is_virtual())
    timers_.busy_dec();
  if (--in_flight_ == 0)
    idle_cv_.notify_all();
}

bool offload_pools::drain(std::chrono::milliseconds grace) {
  std::unique_lock lock{mu_};
  bool idle = idle_cv_.wait_for(lock, grace, [this] { return in_flight_ == 0; });
  if (!idle)
    log().warn("{} offloaded call(s) still running at shutdown; their results are dropped", in_flight_);
  closed_ = true;
  return idle;
}

} // namespace libactor::detail
