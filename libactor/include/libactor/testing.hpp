#pragma once
/// @file testing.hpp
/// Boost.Test support: a test case whose body is a job, run as `main` of a fresh runtime
/// (Seastar's SEASTAR_TEST_CASE is the model). Not part of libactor.hpp: include it in tests only.
///
/// @code
/// #define BOOST_TEST_MODULE sleep
/// #include <boost/test/unit_test.hpp>
/// #include <libactor/testing.hpp>
/// LIBACTOR_TEST_CASE(sleeps_then_returns) {
///   co_await libactor::sleep(1ms);
///   BOOST_CHECK(true);
/// }
/// @endcode
///
/// Boost.Test's assertions are not thread-safe. The body runs on one worker at a time, so plain
/// BOOST_CHECK is fine there; jobs that run *concurrently* with the body use LIBACTOR_CHECK.

#include <exception>
#include <mutex>
#include <stdexcept>

#include <boost/test/unit_test.hpp>

#include <libactor/errors.hpp>
#include <libactor/job.hpp>
#include <libactor/run.hpp>

namespace libactor::testing {

/// Serializes Boost.Test assertions made from concurrently running jobs.
inline std::mutex& check_mutex() {
  static std::mutex m;
  return m;
}

/// Runs `body` as the main job of a fresh runtime and rethrows whatever escaped it, so that
/// Boost.Test reports the failure with its message. A cancelled body is reported as an error.
inline void run_test(job<void> body, runtime_config config = {}) {
  std::exception_ptr failure;
  auto wrapper = [](job<void> b, std::exception_ptr& out) -> job<void> {
    try {
      co_await std::move(b);
    } catch (const cancelled&) {
      out = std::make_exception_ptr(std::runtime_error("the test body was cancelled"));
    } catch (...) {
      out = std::current_exception();
    }
  };
  run(wrapper(std::move(body), failure), config);
  if (failure)
    std::rethrow_exception(failure);
}

} // namespace libactor::testing

/// A Boost.Test case whose body (the braces that follow) is a `job<void>` run with `config`.
#define LIBACTOR_TEST_CASE_WITH(name, config)                                                    \
  static ::libactor::job<void> name##_body();                                                   \
  BOOST_AUTO_TEST_CASE(name) { ::libactor::testing::run_test(name##_body(), config); }          \
  static ::libactor::job<void> name##_body()

/// A Boost.Test case whose body is a `job<void>` run in a fresh runtime with default settings.
#define LIBACTOR_TEST_CASE(name) LIBACTOR_TEST_CASE_WITH(name, ::libactor::runtime_config{})

/// BOOST_CHECK for jobs that run concurrently with the test body.
#define LIBACTOR_CHECK(cond)                                                                     \
  do {                                                                                           \
    std::lock_guard libactor_check_guard_{::libactor::testing::check_mutex()};                   \
    BOOST_CHECK(cond);                                                                           \
  } while (false)
