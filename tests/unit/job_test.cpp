// job<T>: lazy start, inline await, exception propagation with the original type, no frame leaks.
#define BOOST_TEST_MODULE job
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <memory>
#include <string>

namespace la = libactor;
using namespace std::chrono_literals;

namespace {
struct custom_error : std::runtime_error {
  explicit custom_error(int c) : std::runtime_error("custom"), code(c) {}
  int code;
};

la::job<int> value(int x) { co_return x; }
la::job<int> add(int a, int b) { co_return co_await value(a) + co_await value(b); }
la::job<void> fail(int code) {
  co_await la::yield();
  throw custom_error(code);
}
la::job<std::unique_ptr<int>> move_only(int x) { co_return std::make_unique<int>(x); }
// No co_await inside ?: here: g++ 12 evaluates it unconditionally (docs/coding-style.md).
la::job<int> recurse(int depth) {
  if (depth == 0)
    co_return 0;
  co_return 1 + co_await recurse(depth - 1);
}
} // namespace

BOOST_AUTO_TEST_CASE(a_job_is_lazy_and_frees_its_frame_when_dropped) {
  auto before = la::live_job_frames();
  bool ran = false;
  {
    auto j = [](bool& flag) -> la::job<void> {
      flag = true;
      co_return;
    }(ran);
    BOOST_CHECK_EQUAL(la::live_job_frames(), before + 1);
  }
  BOOST_CHECK(!ran);
  BOOST_CHECK_EQUAL(la::live_job_frames(), before);
}

LIBACTOR_TEST_CASE(awaiting_a_job_runs_it_inline) {
  BOOST_CHECK_EQUAL(co_await add(2, 3), 5);
  BOOST_CHECK_EQUAL(co_await recurse(500), 500);
  auto p = co_await move_only(7);
  BOOST_CHECK_EQUAL(*p, 7);
}

LIBACTOR_TEST_CASE(exceptions_propagate_with_their_original_type) {
  try {
    co_await fail(42);
    BOOST_FAIL("no exception");
  } catch (const custom_error& e) {
    BOOST_CHECK_EQUAL(e.code, 42);
  }
}

BOOST_AUTO_TEST_CASE(no_frame_leaks_after_runs_with_completion_failure_and_cancellation) {
  auto before = la::live_job_frames();
  la::testing::run_test([]() -> la::job<void> {
    co_await add(1, 2);
    try {
      co_await fail(1);
    } catch (const custom_error&) {
    }
    auto sleeper = la::spawn([]() -> la::job<void> { co_await la::sleep(1h); }());
    sleeper.cancel();
    try {
      co_await sleeper;
    } catch (const la::cancelled&) {
    }
    // Left running at shutdown: run() cancels and reaps it.
    la::spawn([]() -> la::job<void> { co_await la::sleep(1h); }(), {.name = "left-running"});
  }());
  BOOST_CHECK_EQUAL(la::live_job_frames(), before);
}
