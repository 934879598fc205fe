#pragma once
// Small probes shared by the tests: proving that cleanup ran, how a job ended, what a queue holds.

#include <atomic>
#include <exception>
#include <string>
#include <vector>

#include <libactor/errors.hpp>
#include <libactor/handle.hpp>
#include <libactor/job.hpp>

namespace libactor::testing {

/// Sets `*flag` when destroyed: proves that a job's RAII cleanup ran.
struct set_on_destroy {
  std::atomic<bool>* flag;
  ~set_on_destroy() { flag->store(true); }
};

/// True when `e` holds an `E` (its original type) whose what() is `what`.
template <class E>
bool holds(const std::exception_ptr& e, const std::string& what) {
  if (!e)
    return false;
  try {
    std::rethrow_exception(e);
  } catch (const E& x) {
    return x.what() == what;
  } catch (...) {
  }
  return false;
}

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

/// Everything a queue holds now, in its order, without waiting (a closed queue's try_get raises
/// once it is empty, which ends the list too).
template <class T, class Q>
std::vector<T> take_all(Q& q) {
  std::vector<T> out;
  try {
    while (auto x = q.try_get())
      out.push_back(std::move(*x));
  } catch (const queue_closed&) {
  }
  return out;
}

} // namespace libactor::testing
