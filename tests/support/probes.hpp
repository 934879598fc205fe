#pragma once
// Small probes shared by the tests: proving that cleanup ran and how a job ended.

#include <atomic>

#include <libactor/errors.hpp>
#include <libactor/handle.hpp>
#include <libactor/job.hpp>

namespace libactor::testing {

/// Sets `*flag` when destroyed: proves that a job's RAII cleanup ran.
struct set_on_destroy {
  std::atomic<bool>* flag;
  ~set_on_destroy() { flag->store(true); }
};

/// Awaits `h`; true when it ended with `cancelled`.
template <class T>
job<bool> is_cancelled(handle<T> h) {
  try {
    co_await h;
  } catch (const cancelled&) {
    co_return true;
  }
  co_return false;
}

} // namespace libactor::testing
