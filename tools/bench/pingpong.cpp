// pingpong: two jobs bounce one message through receive; reference: two raw CAF actors.
#include <libactor/libactor.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench_util.hpp"
#include "caf_reference.hpp"

namespace la = libactor;

namespace {

struct ball {
  long n;
};

// Learns its peer, then answers each ball with the next one until the count reaches zero.
la::job<void> bouncer(la::job_ref done) {
  auto peer = (co_await la::receive<la::job_ref>()).value();
  for (;;) {
    long n = (co_await la::receive<ball>()).value().n;
    if (n == 0) {
      done.send(ball{0});
      co_return;
    }
    peer.send(ball{n - 1});
  }
}

la::job<void> timed_pingpong(long rounds, double& msgs_per_sec) {
  auto me = la::this_job::ref();
  auto ping = la::spawn(bouncer(me), {.name = "ping"});
  auto pong = la::spawn(bouncer(me), {.name = "pong"});
  ping.send(la::job_ref{pong});
  pong.send(la::job_ref{ping});
  auto start = std::chrono::steady_clock::now();
  pong.send(ball{rounds - 1});  // as if from ping: `rounds` messages travel between the two
  co_await la::receive<ball>();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  msgs_per_sec = static_cast<double>(rounds) / s;
  for (auto* h : {&ping, &pong}) {  // the one that did not see zero is still waiting
    h->cancel();
    try {
      co_await *h;
    } catch (const la::cancelled&) {
    }
  }
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"pingpong: two libactor jobs vs two raw CAF actors"};
  long rounds = 1'000'000;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  int reps = 5;
  app.add_option("--rounds", rounds, "messages bounced");
  app.add_option("--threads", threads, "worker threads");
  app.add_option("--reps", reps, "repetitions (the median is reported)");
  CLI11_PARSE(app, argc, argv);

  std::vector<double> ours, caf;
  for (int i = 0; i < reps; ++i) {
    double r = 0;
    la::run(timed_pingpong(rounds, r), la::runtime_config{.threads = threads});
    ours.push_back(r);
    caf.push_back(bench::caf_ref::pingpong_msgs_per_sec(static_cast<int>(threads), rounds));
  }
  const double t = bench::median(ours), c = bench::median(caf);
  std::printf("{\"bench\":\"pingpong\",\"rounds\":%ld,\"threads\":%u,\"reps\":%d,\"libactor_msgs_per_s\":%.0f,"
              "\"caf_msgs_per_s\":%.0f,\"throughput_vs_caf\":%.3f}\n",
              rounds, threads, reps, t, c, t / c);
  std::printf("libactor %.2f M msg/s, raw CAF %.2f M msg/s: ratio %.2f (target >= 0.9)\n", t / 1e6, c / 1e6, t / c);
  return 0;
}
