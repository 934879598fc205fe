// Messaging: send, selective receive (non-matching messages stay in the mailbox in arrival order),
// receive with a timeout, move-only payloads, the message API, usage errors. Cases with a timeout run
// in virtual time (config()), where elapsed times are exact.
#define BOOST_TEST_MODULE messaging
#include <boost/test/unit_test.hpp>
#include <libactor/libactor.hpp>
#include <libactor/testing.hpp>

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace la = libactor;
using namespace std::chrono_literals;

namespace {
// The runtime of every case with a timer: virtual time, so timeouts are exact and cost no real time.
la::runtime_config config(unsigned threads = 0) { return la::runtime_config{.threads = threads, .virtual_time = true}; }

struct num {
  int n;
};
struct text {
  std::string s;
};
struct stop {};
struct never {};
struct done_msg {
  std::string log;
};
struct owned {
  std::unique_ptr<std::string> p;
};

// Sends the sequence the selective-receive tests expect.
la::job<void> send_sequence(la::job_ref to) {
  to.send(num{1});
  to.send(text{"x"});
  to.send(num{2});
  co_await la::yield();
  to.send(text{"y with a string longer than the small buffer optimisation"});
  to.send(num{3});
  to.send(stop{});
}

std::string describe(la::message<num, text>& m) {
  if (m.is<num>())
    return "n" + std::to_string(m.get<num>().n);
  return "t" + m.get<text>().s.substr(0, 1);
}

// The same selective receives as the body test, in a spawned receiver; returns what it saw.
la::job<std::string> selective_receiver() {
  std::string log;
  co_await la::receive<stop>();
  log += "stop ";
  auto t = co_await la::receive<text>();
  log += "t" + t.value().s + " ";
  auto a = co_await la::receive<num, text>();
  log += describe(a) + " ";
  auto b = co_await la::receive<num>();
  log += "n" + std::to_string(b.value().n) + " ";
  auto c = co_await la::receive<num, text>();
  log += describe(c) + " ";
  auto d = co_await la::receive<num>();
  log += "n" + std::to_string(d.value().n);
  co_return log;
}

la::job<int> echo_unique() {
  auto m = co_await la::receive<std::unique_ptr<int>>();
  std::unique_ptr<int> p = std::move(m.value());
  co_return *p;
}

la::job<void> send_one(la::job_ref to, int n) {
  to.send(num{n});
  co_return;
}

la::job<void> sleep_then_send(la::job_ref to, std::chrono::milliseconds d, int n) {
  co_await la::sleep(d);
  to.send(num{n});
}

la::job<void> sender_of_many(la::job_ref to, int first, int count) {
  for (int i = 0; i < count; ++i) {
    to.send(num{first + i});
    if (i % 7 == 0)
      co_await la::yield();
  }
}
} // namespace

LIBACTOR_TEST_CASE(send_and_receive) {
  auto me = la::this_job::ref();
  me.send(num{41});
  auto m = co_await la::receive<num>();
  BOOST_CHECK_EQUAL(m.value().n, 41);
  BOOST_CHECK(m.is<num>());
  BOOST_CHECK(!m.expects_reply());

  auto h = la::spawn(send_one(me, 7));
  auto m2 = co_await la::receive<num>();
  BOOST_CHECK_EQUAL(m2.value().n, 7);
  co_await h;
}

LIBACTOR_TEST_CASE(selective_receive_keeps_other_messages_in_order) {
  auto h = la::spawn(send_sequence(la::this_job::ref()));
  co_await la::receive<stop>();  // everything else arrived before and waits in the mailbox
  auto t = co_await la::receive<text>();
  BOOST_CHECK_EQUAL(t.value().s, "x");
  auto a = co_await la::receive<num, text>();  // the earliest of either type
  BOOST_REQUIRE(a.is<num>());
  BOOST_CHECK_EQUAL(a.get<num>().n, 1);
  auto b = co_await la::receive<num>();
  BOOST_CHECK_EQUAL(b.value().n, 2);
  auto c = co_await la::receive<num, text>();
  BOOST_REQUIRE(c.is<text>());
  BOOST_CHECK_EQUAL(c.get<text>().s, "y with a string longer than the small buffer optimisation");
  auto d = co_await la::receive<num>();
  BOOST_CHECK_EQUAL(d.value().n, 3);
  co_await h;
}

LIBACTOR_TEST_CASE(selective_receive_in_a_spawned_job) {
  auto r = la::spawn(selective_receiver());
  // The receiver may see these before or while it waits for `stop`: the result is the same.
  auto s = la::spawn(send_sequence(r));
  std::string log = co_await r;
  BOOST_CHECK_EQUAL(log, "stop tx n1 n2 ty n3");
  co_await s;
}

LIBACTOR_TEST_CASE(messages_from_one_sender_arrive_in_order) {
  auto me = la::this_job::ref();
  auto a = la::spawn(sender_of_many(me, 0, 200));
  auto b = la::spawn(sender_of_many(me, 1000, 200));
  int next_a = 0;
  int next_b = 1000;
  for (int i = 0; i < 400; ++i) {
    auto m = co_await la::receive<num>();
    int n = m.value().n;
    if (n < 1000) {
      BOOST_CHECK_EQUAL(n, next_a);
      next_a = n + 1;
    } else {
      BOOST_CHECK_EQUAL(n, next_b);
      next_b = n + 1;
    }
  }
  BOOST_CHECK_EQUAL(next_a, 200);
  BOOST_CHECK_EQUAL(next_b, 1200);
  co_await a;
  co_await b;
}

LIBACTOR_TEST_CASE_WITH(receive_with_a_timeout_throws_timeout_error, config()) {
  auto me = la::this_job::ref();
  me.send(text{"not what we wait for"});
  bool timed_out = false;
  auto start = la::clock::now();
  try {
    co_await la::receive<num>(20ms);
  } catch (const la::timeout_error&) {
    timed_out = true;
  }
  BOOST_CHECK(timed_out);
  BOOST_CHECK(la::clock::now() - start == 20ms);
  // The non-matching message is still there (taken at once: no time passes).
  auto t = co_await la::receive<text>(1h);
  BOOST_CHECK_EQUAL(t.value().s, "not what we wait for");
  BOOST_CHECK(la::clock::now() - start == 20ms);
  // timeout_error is a libactor::error and a std::runtime_error.
  bool as_error = false;
  try {
    co_await la::receive<num>(1ms);
  } catch (const la::error&) {
    as_error = true;
  }
  BOOST_CHECK(as_error);
  BOOST_CHECK(la::clock::now() - start == 21ms);
  // A zero timeout still takes a message that is already there.
  me.send(num{5});
  co_await la::yield();
  auto n = co_await la::receive<num>(0ms);
  BOOST_CHECK_EQUAL(n.value().n, 5);
}

// One worker: the sender cannot run before the body waits, so receive really suspends with a
// timer armed. That timer must not end a later wait (waits are matched by token).
// In virtual time the stale timer's deadline (20 ms) comes before the sleep's: the clock stops there
// first, and the sleep must still last exactly 50 ms.
LIBACTOR_TEST_CASE_WITH(a_stale_receive_timer_does_not_end_a_later_wait, config(1)) {
  auto me = la::this_job::ref();
  auto h = la::spawn(send_one(me, 1));
  auto m = co_await la::receive<num>(20ms);
  BOOST_CHECK_EQUAL(m.value().n, 1);
  auto start = la::clock::now();
  co_await la::sleep(50ms);  // a stale timer would end this one after 20 ms
  BOOST_CHECK(la::clock::now() - start == 50ms);
  co_await h;

  // A wait without a deadline must not raise timeout_error because of an older timer.
  auto h2 = la::spawn(send_one(me, 2));
  auto m2 = co_await la::receive<num>(20ms);
  BOOST_CHECK_EQUAL(m2.value().n, 2);
  auto late = la::spawn(sleep_then_send(me, 50ms, 3));
  start = la::clock::now();
  bool timed_out = false;
  try {
    auto m3 = co_await la::receive<num>();
    BOOST_CHECK_EQUAL(m3.value().n, 3);
  } catch (const la::timeout_error&) {
    timed_out = true;
  }
  BOOST_CHECK(!timed_out);
  BOOST_CHECK(la::clock::now() - start == 50ms);  // the message, not a timer, ended the wait
  co_await h2;
  co_await late;
}

LIBACTOR_TEST_CASE(move_only_payloads) {
  auto h = la::spawn(echo_unique());
  h.send(std::make_unique<int>(17));
  int v = co_await h;
  BOOST_CHECK_EQUAL(v, 17);

  auto me = la::this_job::ref();
  me.send(owned{std::make_unique<std::string>("owned payload")});
  auto m = co_await la::receive<owned>();
  owned o = std::move(m.value());
  BOOST_REQUIRE(o.p != nullptr);
  BOOST_CHECK_EQUAL(*o.p, "owned payload");
}

LIBACTOR_TEST_CASE(the_message_api) {
  auto me = la::this_job::ref();
  me.send(text{"hello"});
  auto m = co_await la::receive<num, text>();
  BOOST_CHECK(m.is<text>());
  BOOST_CHECK(!m.is<num>());
  BOOST_CHECK_EQUAL(m.get<text>().s, "hello");
  BOOST_CHECK_THROW(m.get<num>(), la::usage_error);
  BOOST_CHECK(!m.expects_reply());
  BOOST_CHECK_THROW(m.reply(1), la::usage_error);

  // get() gives access to the stored value: it can be modified and moved out.
  m.get<text>().s += " world";
  BOOST_CHECK_EQUAL(m.get<text>().s, "hello world");
}

LIBACTOR_TEST_CASE(messages_to_an_ended_job_are_dropped) {
  auto h = la::spawn(send_one(la::this_job::ref(), 1));
  co_await h;
  co_await la::receive<num>();
  BOOST_CHECK_NO_THROW(h.send(num{2}));
  BOOST_CHECK_NO_THROW(h.send(std::make_unique<int>(3)));
}

LIBACTOR_TEST_CASE(send_from_a_foreign_thread) {
  auto me = la::this_job::ref();
  std::thread t([me] {
    for (int i = 0; i < 100; ++i)
      me.send(num{i});
  });
  t.join();
  for (int i = 0; i < 100; ++i) {
    auto m = co_await la::receive<num>();
    BOOST_CHECK_EQUAL(m.value().n, i);
  }
}

LIBACTOR_TEST_CASE_WITH(a_job_waiting_for_another_type_stashes_many_messages, config()) {
  auto me = la::this_job::ref();
  for (int i = 0; i < 1000; ++i)
    me.send(num{i});
  me.send(stop{});
  co_await la::receive<stop>();
  for (int i = 0; i < 1000; ++i) {
    auto m = co_await la::receive<num>();
    BOOST_REQUIRE_EQUAL(m.value().n, i);
  }
  bool timed_out = false;
  try {
    co_await la::receive<num>(1ms);
  } catch (const la::timeout_error&) {
    timed_out = true;
  }
  BOOST_CHECK(timed_out);  // the stash is empty now
}

BOOST_AUTO_TEST_CASE(receive_outside_a_job_throws_usage_error) {
  BOOST_CHECK_THROW((void)la::receive<num>(), la::usage_error);
  BOOST_CHECK_THROW((void)(la::receive<num, text>(10ms)), la::usage_error);
}
