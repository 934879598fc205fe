// A pipeline under a supervisor: producer → parse → printer. The parse stage crashes on every item
// divisible by 7; its supervisor restarts it (a fresh incarnation from its factory) and the
// pipeline carries on. Erlang/OTP's supervisor and Akka's supervision are the model:
//   {ok, Sup} = supervisor:start_link(pipeline_sup, []),   % rest_for_one, intensity 10, period 1
//   % a child that crashes is restarted; more than 10 restarts in 1 s and the supervisor gives up
// The item a crash was holding is lost: this program counts those and reports them. (libactor also
// logs every crash and restart to stderr.)
#include <libactor/libactor.hpp>
#include <libactor/supervisor.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace la = libactor;
using namespace std::chrono_literals;

constexpr int total = 50;

// What outlives the restarts: the queues between the stages and the counters. amain owns it; the
// children only hold a reference, so a restarted stage finds the items its predecessor left queued.
// (Keep state that must survive a crash outside the child, as Erlang keeps it in ETS.)
struct pipeline {
  la::queue<int> raw{8};
  la::queue<int> parsed{8};
  std::atomic<int> printed{0}, lost{0};  // the printer and the supervisor's on_event count
  la::event finished;  // every item printed or lost
  void account() {
    if (printed + lost == total)
      finished.set();
  }
};

la::job<void> producer(pipeline& p) {
  for (int i = 1; i <= total; ++i)
    co_await p.raw.put(i);  // returns normally: a transient child is not restarted after that
}

la::job<void> parse(pipeline& p) {
  for (;;) {
    int item = co_await p.raw.get();
    if (item % 7 == 0)  // a bug, say: this incarnation dies, and the item with it
      throw std::runtime_error("bad item " + std::to_string(item));
    co_await p.parsed.put(item * 10);
  }
}

la::job<void> printer(pipeline& p) {
  for (;;) {
    int value = co_await p.parsed.get();
    std::printf("printer: %d\n", value);
    ++p.printed;
    p.account();
  }
}

// The tree, built in a plain function (not a coroutine). Factories are plain lambdas that call the
// coroutine: capturing is fine here because the lambda itself is not a coroutine.
la::supervisor_spec pipeline_spec(pipeline& p) {
  // rest_for_one: when parse restarts, so do the children started after it (printer), which depend
  // on it. More than 10 restarts within 1 s and the supervisor stops everything and fails.
  la::supervisor_spec spec{"pipeline",
                           {.strategy = la::restart_strategy::rest_for_one, .intensity = 10, .period = 1s}};
  spec.add({"producer", [&p] { return producer(p); }, {.restart = la::restart_type::transient}})
      .add({"parse", [&p] { return parse(p); }})  // permanent: always restarted
      .add({"printer", [&p] { return printer(p); }});
  // Runs in the supervisor's turn for every event (started, exited, restarting, terminated, ...);
  // here it reports and counts parse's crashes.
  spec.on_event([&p](const la::supervisor_event& e) {
    if (e.kind != la::supervisor_event::exited || e.child != "parse" || e.reason != la::exit_reason::failed)
      return;
    std::string why = "?";
    try {
      std::rethrow_exception(e.error);
    } catch (const std::exception& x) {
      why = x.what();
    }
    int n = ++p.lost;
    std::printf("restart #%d of 'parse' after: %s\n", n, why.c_str());
    p.account();
  });
  return spec;
}

la::job<int> amain() {
  pipeline p;
  auto spec = pipeline_spec(p);
  la::supervisor sup = co_await la::start_supervisor(std::move(spec));  // returns once all are started
  co_await p.finished.wait();
  co_await sup.stop();  // stops the children in reverse start order: printer, parse, producer
  std::printf("done: %d printed, %d lost (parse restarted %d times)\n", p.printed.load(), p.lost.load(), p.lost.load());
  co_return p.printed + p.lost == total ? 0 : 1;
}

// One worker thread: the jobs take turns, so the output comes out in the same order every run.
int main() { return la::run(amain(), la::runtime_config{.threads = 1}); }
