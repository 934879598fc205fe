// spawn and handle<T>: every spawned job is its own actor; awaiting a handle yields the result or
// rethrows the original exception; names, ids, done(), copies; dropping every handle does not stop
// the job; this_job inside and outside a job; usage errors.
#define BOOST_TEST_MODULE spawn
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <atomic>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace la = libactor;
using namespace std::chrono_literals;

namespace {
// The runtime of the cases with a timer: virtual time (exact, and no real time passes).
la::runtime_config config(unsigned threads = 0) { return la::runtime_config{.threads = threads, .virtual_time = true}; }

struct custom_error : std::runtime_error {
  explicit custom_error(int c) : std::runtime_error("custom error"), code(c) {}
  int code;
};

struct go {};
struct finished {
  bool was_cancelled;
  int suspensions;
};
struct identity {
  la::job_ref ref;
  std::uint64_t id;
  std::string name;
  bool cancelled;
};

la::job<int> twice(int x) {
  co_await la::yield();
  co_return 2 * x;
}

la::job<void> throw_custom(int code) {
  co_await la::yield();
  throw custom_error(code);
}

la::job<int> throw_int(int value) {
  co_await la::yield();
  throw value;
}

la::job<std::string> fail_after_go() {
  co_await la::receive<go>();
  throw std::logic_error("a logic error");
}

la::job<int> wait_for_go(int result) {
  co_await la::receive<go>();
  co_return result;
}

// Tells `to` who it is, from inside its own turn.
la::job<void> report_identity(la::job_ref to) {
  co_await la::yield();
  to.send(identity{la::this_job::ref(), la::this_job::id(), la::this_job::name(), la::this_job::cancelled()});
}

// Runs several suspension points, then reports to `to` (which holds no handle to this job).
la::job<void> outlive_handles(la::job_ref to) {
  int suspensions = 0;
  for (int i = 0; i < 3; ++i) {
    co_await la::yield();
    ++suspensions;
  }
  co_await la::sleep(1ms);
  ++suspensions;
  co_await la::receive<go>();  // sent by `to` after it dropped its handle
  ++suspensions;
  to.send(finished{la::this_job::cancelled(), suspensions});
}

la::job<bool> await_own_handle() {
  auto m = co_await la::receive<la::handle<bool>>();
  la::handle<bool> self = m.value();
  try {
    co_await self;
  } catch (const la::usage_error&) {
    co_return true;
  }
  co_return false;
}

la::job<int> await_handle(la::handle<int> h) {
  int v = co_await h;
  co_return v;
}

la::job<int> spawn_children(int n) {
  std::vector<la::handle<int>> children;
  for (int i = 1; i <= n; ++i)
    children.push_back(la::spawn(twice(i)));
  int sum = 0;
  for (auto& c : children)
    sum += co_await c;
  co_return sum;
}

la::job<void> set_flag(bool* flag) {
  *flag = true;
  co_return;
}
} // namespace

LIBACTOR_TEST_CASE(awaiting_a_handle_yields_the_result) {
  auto h = la::spawn(twice(21));
  int v = co_await h;
  BOOST_CHECK_EQUAL(v, 42);
  BOOST_CHECK(h.done());
}

LIBACTOR_TEST_CASE(a_failed_job_rethrows_its_exception_with_its_original_type) {
  auto h = la::spawn(throw_custom(7), {.name = "custom-thrower"});
  bool caught = false;
  try {
    co_await h;
  } catch (const custom_error& e) {
    caught = true;
    BOOST_CHECK_EQUAL(e.code, 7);
  }
  BOOST_CHECK(caught);

  auto hi = la::spawn(throw_int(99));
  int thrown = 0;
  try {
    co_await hi;
  } catch (int v) {
    thrown = v;
  }
  BOOST_CHECK_EQUAL(thrown, 99);

  // Every await rethrows it again, and a std::logic_error stays a logic_error.
  auto hl = la::spawn(fail_after_go());
  hl.send(go{});
  for (int i = 0; i < 2; ++i) {
    bool logic = false;
    try {
      co_await hl;
    } catch (const std::logic_error& e) {
      logic = std::string(e.what()) == "a logic error";
    }
    BOOST_CHECK(logic);
  }
}

LIBACTOR_TEST_CASE(handles_are_copyable_and_every_awaiter_gets_the_result) {
  auto h = la::spawn(wait_for_go(5));
  la::handle<int> copy = h;
  la::handle<int> assigned;
  BOOST_CHECK(!assigned.valid());
  assigned = copy;
  BOOST_CHECK(assigned.valid());
  BOOST_CHECK(copy == h);
  BOOST_CHECK(assigned == h);
  BOOST_CHECK_EQUAL(copy.id(), h.id());

  // Two other jobs await the same handle concurrently with the body.
  auto w1 = la::spawn(await_handle(h));
  auto w2 = la::spawn(await_handle(copy));
  h.send(go{});
  int a = co_await h;
  int b = co_await copy;
  int c = co_await assigned;
  int d = co_await w1;
  int e = co_await w2;
  BOOST_CHECK_EQUAL(a, 5);
  BOOST_CHECK_EQUAL(b, 5);
  BOOST_CHECK_EQUAL(c, 5);
  BOOST_CHECK_EQUAL(d, 5);
  BOOST_CHECK_EQUAL(e, 5);

  auto other = la::spawn(twice(1));
  BOOST_CHECK(!(other == h));
  co_await other;
}

LIBACTOR_TEST_CASE(done_is_false_until_the_job_ends) {
  auto h = la::spawn(wait_for_go(3));
  // It cannot end before it receives `go`.
  BOOST_CHECK(!h.done());
  co_await la::yield();
  BOOST_CHECK(!h.done());
  h.send(go{});
  int v = co_await h;
  BOOST_CHECK_EQUAL(v, 3);
  BOOST_CHECK(h.done());
}

LIBACTOR_TEST_CASE(names_and_ids) {
  auto named = la::spawn(report_identity(la::this_job::ref()), {.name = "worker-x"});
  BOOST_CHECK_EQUAL(named.name(), "worker-x");
  auto m = co_await la::receive<identity>();
  BOOST_CHECK_EQUAL(m.value().name, "worker-x");
  BOOST_CHECK_EQUAL(m.value().id, named.id());
  BOOST_CHECK(m.value().ref == named);
  BOOST_CHECK(!m.value().cancelled);
  co_await named;

  auto unnamed = la::spawn(report_identity(la::this_job::ref()));
  BOOST_CHECK_EQUAL(unnamed.name(), "job-" + std::to_string(unnamed.id()));
  auto m2 = co_await la::receive<identity>();
  BOOST_CHECK_EQUAL(m2.value().name, "job-" + std::to_string(unnamed.id()));
  BOOST_CHECK_EQUAL(m2.value().id, unnamed.id());
  co_await unnamed;

  // The name is copied at spawn.
  std::string temp = "temporary-name";
  auto copied = la::spawn(twice(1), {.name = temp});
  temp.assign("overwritten-and-longer-than-the-small-string-buffer");
  BOOST_CHECK_EQUAL(copied.name(), "temporary-name");
  co_await copied;

  // Ids are unique, also against the body's own id.
  std::set<std::uint64_t> ids{la::this_job::id()};
  std::vector<la::handle<int>> hs;
  for (int i = 0; i < 50; ++i) {
    hs.push_back(la::spawn(twice(i)));
    ids.insert(hs.back().id());
  }
  BOOST_CHECK_EQUAL(ids.size(), 51u);
  for (auto& h : hs)
    co_await h;
  BOOST_CHECK_EQUAL(la::this_job::ref().id(), la::this_job::id());
  BOOST_CHECK(!la::this_job::cancelled());
}

// One worker thread: the child cannot start before the body suspends, so the handle is surely
// gone before the child runs any of its suspension points. Virtual time: the child's sleep is exact.
LIBACTOR_TEST_CASE_WITH(dropping_every_handle_does_not_stop_the_job, config(1)) {
  auto start = la::clock::now();
  la::job_ref child_ref;
  {
    auto h = la::spawn(outlive_handles(la::this_job::ref()), {.name = "orphan"});
    child_ref = h;  // an untyped reference only to send `go`, dropped below as well
    BOOST_CHECK(!h.done());
  }
  child_ref.send(go{});
  child_ref = la::job_ref{};
  auto m = co_await la::receive<finished>();
  BOOST_CHECK(!m.value().was_cancelled);
  BOOST_CHECK_EQUAL(m.value().suspensions, 5);
  BOOST_CHECK(la::clock::now() - start == 1ms);  // the child's one sleep
}

LIBACTOR_TEST_CASE(a_job_cannot_await_its_own_handle) {
  auto h = la::spawn(await_own_handle());
  h.send(h);
  bool got_usage_error = co_await h;
  BOOST_CHECK(got_usage_error);
}

LIBACTOR_TEST_CASE(spawned_jobs_spawn_and_await_their_own_children) {
  auto h = la::spawn(spawn_children(100));
  int sum = co_await h;
  BOOST_CHECK_EQUAL(sum, 100 * 101);  // 2 * (1 + ... + 100)
}

LIBACTOR_TEST_CASE(spawn_from_a_foreign_thread_while_the_runtime_runs) {
  la::handle<int> h;
  std::thread t([&h] { h = la::spawn(twice(4), {.name = "from-thread"}); });
  t.join();
  BOOST_REQUIRE(h.valid());
  BOOST_CHECK_EQUAL(h.name(), "from-thread");
  int v = co_await h;
  BOOST_CHECK_EQUAL(v, 8);
}

LIBACTOR_TEST_CASE(spawn_of_an_empty_job_throws_usage_error) {
  auto j = twice(1);
  auto moved = std::move(j);
  BOOST_CHECK_THROW(la::spawn(std::move(j)), la::usage_error);
  auto h = la::spawn(std::move(moved));
  int v = co_await h;
  BOOST_CHECK_EQUAL(v, 2);
}

LIBACTOR_TEST_CASE(an_empty_handle_reports_usage_errors) {
  la::handle<int> h;
  la::job_ref r;
  BOOST_CHECK(!h.valid());
  BOOST_CHECK(!r.valid());
  BOOST_CHECK_THROW(h.name(), la::usage_error);
  BOOST_CHECK_THROW(h.id(), la::usage_error);
  BOOST_CHECK_THROW(h.done(), la::usage_error);
  BOOST_CHECK_THROW(h.cancel(), la::usage_error);
  BOOST_CHECK_THROW(r.send(go{}), la::usage_error);
  BOOST_CHECK_THROW(h.operator co_await(), la::usage_error);
  co_return;
}

BOOST_AUTO_TEST_CASE(spawn_without_a_runtime_throws_usage_error) {
  auto before = la::live_job_frames();
  BOOST_CHECK_THROW(la::spawn(twice(1)), la::usage_error);
  BOOST_CHECK_THROW(la::spawn(twice(1), {.name = "no-runtime"}), la::usage_error);
  // The job's frame was freed, not leaked.
  BOOST_CHECK_EQUAL(la::live_job_frames(), before);
}

BOOST_AUTO_TEST_CASE(this_job_outside_a_job_throws_usage_error) {
  BOOST_CHECK_THROW(la::this_job::id(), la::usage_error);
  BOOST_CHECK_THROW(la::this_job::name(), la::usage_error);
  BOOST_CHECK_THROW(la::this_job::ref(), la::usage_error);
  BOOST_CHECK_THROW(la::this_job::cancelled(), la::usage_error);
  // Also on a foreign thread while a runtime runs.
  bool all_threw = false;
  la::testing::run_test([](bool& out) -> la::job<void> {
    std::thread t([&out] {
      int n = 0;
      try { la::this_job::id(); } catch (const la::usage_error&) { ++n; }
      try { la::this_job::ref(); } catch (const la::usage_error&) { ++n; }
      out = n == 2;
    });
    t.join();
    co_return;
  }(all_threw));
  BOOST_CHECK(all_threw);
}

BOOST_AUTO_TEST_CASE(the_runtime_is_reusable_after_run_returns) {
  bool first = false;
  bool second = false;
  la::testing::run_test(set_flag(&first));
  la::testing::run_test(set_flag(&second));
  BOOST_CHECK(first);
  BOOST_CHECK(second);
}
