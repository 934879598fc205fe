// libactor in one second: spawned jobs, awaiting several jobs, messaging, sleep, cancellation.
// A tiny download manager: fetchers report to a "stats" job by message; main awaits them all.
#include <libactor/libactor.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace la = libactor;
using namespace std::chrono_literals;

const auto t0 = std::chrono::steady_clock::now();

// Prints one step, stamped with the time and the name of the job printing it.
void say(const std::string& what) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  std::printf("[%4lld ms] %-10s %s\n", static_cast<long long>(ms.count()), la::this_job::name().c_str(), what.c_str());
}

struct downloaded { int bytes; };
struct get_total {};
struct stop {};

// Owns the byte count; other jobs reach it only through its mailbox.
la::job<void> stats() {
  int total = 0;
  for (;;) {
    auto m = co_await la::receive<downloaded, get_total, stop>();
    if (m.is<downloaded>()) total += m.get<downloaded>().bytes;
    if (m.is<get_total>()) m.reply(total);
    if (m.is<stop>()) break;
  }
  say("stopping");
}

la::job<std::string> fetch(std::string url, std::chrono::milliseconds latency, la::job_ref stats) {
  say("GET " + url);
  co_await la::sleep(latency);  // simulated network I/O
  if (url.starts_with("bad:")) throw std::runtime_error("cannot fetch " + url);
  stats.send(downloaded{static_cast<int>(url.size()) * 100});
  co_return "<page " + url + ">";
}

la::job<int> amain() {
  auto st = la::spawn(stats(), {.name = "stats"});

  say("1. spawning three fetchers, then awaiting each");
  std::vector<la::handle<std::string>> fetchers;
  fetchers.push_back(la::spawn(fetch("a.example", 300ms, st), {.name = "fetch-a"}));
  fetchers.push_back(la::spawn(fetch("b.example", 200ms, st), {.name = "fetch-b"}));
  fetchers.push_back(la::spawn(fetch("c.example", 100ms, st), {.name = "fetch-c"}));
  for (auto& f : fetchers) {
    std::string page = co_await f;  // in spawn order; the ones already done return at once
    say(f.name() + " returned " + page);
  }
  say("all three done in ~300 ms (the slowest), not 600: they ran concurrently");

  say("2. asking stats for the total");
  int total = co_await st.ask<int>(get_total{}, 1s);
  say("stats replied: " + std::to_string(total) + " bytes");

  say("3. a failing job: its exception reaches whoever awaits it");
  try {
    co_await la::spawn(fetch("bad:url", 50ms, st), {.name = "fetch-bad"});
  } catch (const std::runtime_error& e) {
    say(std::string("caught: ") + e.what());
  }

  say("4. cancelling a slow job after 100 ms");
  auto slow = la::spawn(fetch("slow.example", 10s, st), {.name = "fetch-slow"});
  co_await la::sleep(100ms);
  slow.cancel();
  bool was_cancelled = false;
  try {
    co_await slow;
  } catch (const la::cancelled&) {  // not a std::exception: generic handlers don't swallow it
    was_cancelled = true;
  }
  say(was_cancelled ? "fetch-slow was cancelled" : "fetch-slow was NOT cancelled");

  say("5. telling stats to stop, and waiting for it");
  st.send(stop{});
  co_await st;
  say("done");
  co_return (total > 0 && was_cancelled) ? 0 : 1;
}

int main(int argc, char** argv) { return la::run(amain(), argc, argv); }
