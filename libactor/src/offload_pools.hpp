#pragma once
// offload_pools: the blocking pool (to_thread) and the CPU pool (to_cpu_pool) of one runtime.
//
// Each is a boost::asio::thread_pool created on first use, separate from CAF's workers. A pool
// thread runs an offload_call, then — under the gate — gives back its limiter token, unparks the
// waiting job and ends the call's "busy" mark for virtual time. At shutdown the runtime drains the
// pools for a grace period; a call still running after it (a blocking call that never returns)
// must not touch the dying runtime, so the gate closes and the runtime leaks this object (joining
// would hang) and leaves its threads to the process exit.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>

#include <boost/asio/thread_pool.hpp>

#include <libactor/capacity_limiter.hpp>
#include <libactor/to_thread.hpp>

namespace libactor::detail {

class timer_service;

class offload_pools {
public:
  offload_pools(unsigned blocking_threads, unsigned cpu_threads, timer_service& timers);
  ~offload_pools();
  offload_pools(const offload_pools&) = delete;
  offload_pools& operator=(const offload_pools&) = delete;

  void submit(pool_kind kind, std::shared_ptr<offload_call> call);
  capacity_limiter& default_limiter() noexcept { return default_limiter_; }
  /// Waits up to `grace` for every submitted call to end; then closes the gate. True when none
  /// was left running.
  bool drain(std::chrono::milliseconds grace);

private:
  boost::asio::thread_pool& pool(pool_kind kind);
  void complete(offload_call& call);

  const unsigned blocking_threads_;
  const unsigned cpu_threads_;
  timer_service& timers_;
  capacity_limiter default_limiter_{40};
  std::mutex mu_;  // the pools' creation, the in-flight count and the gate
  std::condition_variable idle_cv_;
  std::size_t in_flight_ = 0;
  bool closed_ = false;
  std::unique_ptr<boost::asio::thread_pool> blocking_;
  std::unique_ptr<boost::asio::thread_pool> cpu_;
};

} // namespace libactor::detail
