// A bounded chaos run (issue 7): a supervised pipeline of 98 workers — producer → three stages of 32
// workers → sink — while a fault injector throws in, kills and cancels random stage workers. The
// transport is at-least-once (the producer resends what is not acknowledged in time) and the sink is
// idempotent, so afterwards every item must be acknowledged exactly once or reported as failed, the
// supervisors must have stayed within their restart limits (the injector keeps to half of them, so
// an escalation can only be a bug), and stopping the tree must leave no job frame behind.
// Real time, 4 workers. The seed is printed; LIBACTOR_CHAOS_SEED=<n> replays one (as far as the
// thread interleaving allows).
#define BOOST_TEST_MODULE failure_chaos
#include <boost/test/unit_test.hpp>

#include <libactor/detail/children.hpp>
#include <libactor/libactor.hpp>
#include <libactor/supervisor.hpp>
#include <libactor/testing.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace la = libactor;
using namespace std::chrono_literals;

namespace {

constexpr unsigned stages = 3;
constexpr unsigned workers_per_stage = 32;
constexpr unsigned queue_capacity = 64;
constexpr unsigned faults = 300;
constexpr unsigned max_attempts = 10;
constexpr unsigned work_us = 6000;  // a stage worker's work per item: up to 6 ms
constexpr auto resend_after = 100ms;  // times the attempt number: later resends wait longer
constexpr unsigned top_intensity = 20, stage_intensity = 100;
constexpr auto period = std::chrono::duration_cast<la::clock::duration>(1s);
// The injector keeps to half a stage's intensity within a window a little longer than the period,
// so that a restart handled a little after its fault still counts in the window it was charged to.
constexpr unsigned fault_budget = stage_intensity / 2;
constexpr auto fault_window = period + std::chrono::duration_cast<la::clock::duration>(250ms);

bool sanitized() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return true;
#else
  return std::getenv("LIBACTOR_SANITIZED") != nullptr;
#endif
}

std::uint64_t pick_seed() {
  if (const char* s = std::getenv("LIBACTOR_CHAOS_SEED"))
    return std::strtoull(s, nullptr, 10);
  return (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
}

std::uint64_t mix(std::uint64_t v) {  // splitmix64's finalizer
  v ^= v >> 30;
  v *= 0xbf58476d1ce4e5b9ull;
  v ^= v >> 27;
  v *= 0x94d049bb133111ebull;
  return v ^ (v >> 31);
}
// Stage k's transformation; the stages do not commute, so a skipped or repeated stage shows.
std::uint64_t stage_fn(unsigned k, std::uint64_t v) { return mix(v + 0x9e3779b97f4a7c15ull * (k + 1)); }

struct item {  // trivially copyable
  std::uint32_t id;
  std::uint32_t attempt;
  std::uint64_t value;
};

enum item_state : std::uint8_t { pending, sent, acked, failed };

// One item's ledger entry: outside the tree, so it survives every restart (OTP tests use ETS).
struct entry {
  std::atomic<std::uint8_t> state{pending};
  std::atomic<std::uint32_t> attempts{0};
  std::atomic<std::int64_t> last_sent{0};  // la::clock ticks
  std::atomic<std::uint32_t> ack_count{0};
};

struct chaos_fault : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A supervisor event, copied (its string_views point into the supervisor).
struct event_copy {
  la::supervisor_event::kind_t kind;
  std::string sup, child;
  la::exit_reason reason;
  bool injected;  // failed with a chaos_fault
  unsigned restarts_in_period;
  la::clock::time_point at;
};

struct chaos {
  chaos(std::uint64_t s, std::uint32_t items) : seed(s), n(items), ledger(items) {
    for (unsigned k = 0; k <= stages; ++k)
      queues.push_back(std::make_unique<la::queue<item>>(queue_capacity));
  }
  std::uint64_t initial(std::uint32_t id) const { return mix(seed ^ (0x1234567ull + id)); }
  std::uint64_t expected(std::uint32_t id) const {
    auto v = initial(id);
    for (unsigned k = 0; k < stages; ++k)
      v = stage_fn(k, v);
    return v;
  }
  void resolve() {
    if (resolved.fetch_add(1) + 1 == n)
      all_resolved.set();
  }
  void record(const la::supervisor_event& e) {
    bool injected = false;
    if (e.error) {
      try {
        std::rethrow_exception(e.error);
      } catch (const chaos_fault&) {
        injected = true;
      } catch (...) {
      }
    }
    std::lock_guard g{events_mu};
    events.push_back({e.kind, std::string(e.supervisor), std::string(e.child), e.reason, injected,
                      e.restarts_in_period, e.at});
  }
  std::vector<event_copy> events_now() {
    std::lock_guard g{events_mu};
    return events;
  }

  const std::uint64_t seed;
  const std::uint32_t n;
  std::vector<entry> ledger;
  std::vector<std::unique_ptr<la::queue<item>>> queues;  // queues[k] feeds stage k; queues[stages] the sink
  std::atomic<std::uint32_t> next_new{0};                // the producer's progress (survives its restarts)
  std::atomic<std::uint32_t> resolved{0}, acked{0}, failed_items{0}, duplicates{0}, late{0}, corrupt{0};
  std::atomic<std::uint32_t> resends{0}, incarnations{0};
  std::array<std::array<std::atomic<bool>, workers_per_stage>, stages> throw_next{};
  std::atomic<std::uint32_t> throws_set{0}, throws_fired{0}, kills{0}, cancels{0}, applied{0};
  la::event all_resolved;
  std::mutex events_mu;
  std::vector<event_copy> events;
  // Written by the injector; read once it has ended.
  std::string injector_error;
  std::vector<la::job_ref> victims;  // the jobs it killed or cancelled
};
using chaos_ptr = std::shared_ptr<chaos>;

la::job<void> stage_worker(chaos_ptr c, unsigned k, unsigned index) {
  std::minstd_rand rng(static_cast<std::uint32_t>(c->seed + c->incarnations.fetch_add(1)));
  auto& in = *c->queues[k];
  auto& out = *c->queues[k + 1];
  for (;;) {
    item it = co_await in.get();
    if (c->throw_next[k][index].exchange(false)) {
      c->throws_fired.fetch_add(1);
      throw chaos_fault("chaos: injected fault in stage " + std::to_string(k) + " holding item " +
                        std::to_string(it.id));
    }
    // Some work between get and put, so that kills and cancellations land with items in flight and
    // the run lasts as long as the faults (the injector needs about 2 s within its budget).
    if (rng() % 8 == 0)
      co_await la::yield();
    else
      co_await la::sleep(std::chrono::microseconds(rng() % work_us));
    it.value = stage_fn(k, it.value);
    co_await out.put(it);
  }
}

// The sink acknowledges: one compare-and-swap decides between an acknowledgement and a failure.
void arrive(chaos& c, const item& it) {
  if (it.id >= c.n || it.value != c.expected(it.id)) {
    c.corrupt.fetch_add(1);
    return;
  }
  auto& e = c.ledger[it.id];
  std::uint8_t was = sent;
  if (e.state.compare_exchange_strong(was, acked)) {
    e.ack_count.fetch_add(1);
    c.acked.fetch_add(1);
    c.resolve();
  } else if (was == acked) {
    c.duplicates.fetch_add(1);  // a resent copy whose original got through after all
  } else {
    c.late.fetch_add(1);  // arrived after the producer gave it up
  }
}

la::job<void> sink(chaos_ptr c) {
  auto& in = *c->queues[stages];
  for (;;) {
    item it = co_await in.get();
    arrive(*c, it);
  }
}

std::int64_t ticks(la::clock::time_point t) { return t.time_since_epoch().count(); }

// Resends every item not acknowledged within resend_after × its attempts; gives up after max_attempts.
la::job<void> resend_overdue(chaos& c) {
  auto& out = *c.queues[0];
  const auto now = la::clock::now();
  const auto upto = std::min(c.next_new.load(), c.n);
  for (std::uint32_t id = 0; id < upto; ++id) {
    auto& e = c.ledger[id];
    if (e.state.load() != sent)
      continue;
    const auto attempts = e.attempts.load();
    const auto wait = std::chrono::duration_cast<la::clock::duration>(resend_after * attempts);
    if (now.time_since_epoch().count() - e.last_sent.load() < wait.count())
      continue;
    if (attempts >= max_attempts) {
      std::uint8_t was = sent;
      if (e.state.compare_exchange_strong(was, failed)) {
        c.failed_items.fetch_add(1);
        c.resolve();
      }
      continue;
    }
    e.attempts.store(attempts + 1);
    const item it{id, attempts + 1, c.initial(id)};
    co_await out.put(it);
    e.last_sent.store(ticks(la::clock::now()));
    c.resends.fetch_add(1);
  }
}

// Restartable: progress lives in the ledger. An item whose put was cut short counts as sent and
// never sent (last_sent 0), so the next scan resends it.
la::job<void> producer(chaos_ptr c) {
  auto& out = *c->queues[0];
  for (;;) {
    const auto id = c->next_new.load();
    if (id >= c->n)
      break;
    auto& e = c->ledger[id];
    if (e.state.load() == pending) {
      e.attempts.store(1);
      e.state.store(sent);
      const item it{id, 1, c->initial(id)};
      co_await out.put(it);
      e.last_sent.store(ticks(la::clock::now()));
    }
    c->next_new.store(id + 1);
    if ((id + 1) % 256 == 0)
      co_await resend_overdue(*c);
  }
  for (;;) {
    co_await resend_overdue(*c);
    if (c->resolved.load() >= c->n)
      break;
    co_await la::sleep(5ms);
  }
}

std::string worker_id(unsigned i) { return (i < 10 ? "w0" : "w") + std::to_string(i); }
std::string stage_name(unsigned k) { return "stage" + std::to_string(k); }

la::supervisor_spec stage_spec(const chaos_ptr& c, unsigned k) {
  la::supervisor_flags flags;
  flags.strategy = la::restart_strategy::one_for_one;
  flags.intensity = stage_intensity;
  flags.period = period;
  la::supervisor_spec spec{stage_name(k), flags};
  for (unsigned i = 0; i < workers_per_stage; ++i)
    spec.add(la::child_spec{worker_id(i), [c, k, i] { return stage_worker(c, k, i); }});
  spec.on_event([c](const la::supervisor_event& e) { c->record(e); });
  return spec;
}

la::supervisor_spec top_spec(const chaos_ptr& c) {
  la::supervisor_flags flags;
  flags.strategy = la::restart_strategy::one_for_one;
  flags.intensity = top_intensity;
  flags.period = period;
  la::supervisor_spec spec{"chaos", flags};
  spec.add(la::child_spec{"sink", [c] { return sink(c); }});
  la::child_options sub;
  sub.kind = la::child_kind::supervisor;
  for (unsigned k = 0; k < stages; ++k)
    spec.add(la::child_spec{stage_name(k), [c, k](la::ready_token t) { return la::supervise(stage_spec(c, k), t); },
                            sub});
  la::child_options transient;
  transient.restart = la::restart_type::transient;
  spec.add(la::child_spec{"producer", [c] { return producer(c); }, transient});
  spec.on_event([c](const la::supervisor_event& e) { c->record(e); });
  return spec;
}

// The stage supervisor `k` as a child of `top` (an empty handle if there is none running).
la::job<la::supervisor> find_stage(la::supervisor top, unsigned k) {
  auto kids = co_await top.which_children();
  for (auto& kid : kids)
    if (kid.id == stage_name(k) && kid.state == la::child_info::running && kid.job.valid())
      co_return la::supervisor{kid.job};
  co_return la::supervisor{};
}

// Applies `faults` faults, 0–5 ms apart, never more than fault_budget per stage per fault_window.
la::job<void> inject_faults(chaos_ptr c, la::supervisor top) {
  std::mt19937_64 rng(c->seed ^ 0xfa0175ull);
  std::array<std::deque<la::clock::time_point>, stages> charged;
  const auto give_up = la::clock::now() + 60s;
  std::string error;
  while (c->applied.load() < faults && la::clock::now() < give_up) {
    co_await la::sleep(std::chrono::microseconds(rng() % 5001));
    const unsigned k = rng() % stages;
    const auto now = la::clock::now();
    auto& window = charged[k];
    while (!window.empty() && now - window.front() > fault_window)
      window.pop_front();
    if (window.size() >= fault_budget)
      continue;
    std::vector<la::child_info> kids;
    try {
      auto stage = co_await find_stage(top, k);
      if (!stage.valid())
        throw std::runtime_error("no running " + stage_name(k) + " under the top supervisor");
      kids = co_await stage.which_children();
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (!error.empty())
      break;
    std::erase_if(kids, [](const la::child_info& kid) { return kid.state != la::child_info::running || !kid.job.valid(); });
    if (kids.empty())
      continue;
    const auto& victim = kids[rng() % kids.size()];
    window.push_back(now);
    switch (rng() % 3) {
      case 0: {
        const auto index = static_cast<unsigned>(std::stoul(victim.id.substr(1)));
        c->throw_next[k][index].store(true);
        c->throws_set.fetch_add(1);
        break;
      }
      case 1:
        la::detail::record_access::of(victim.job).request_kill();
        c->kills.fetch_add(1);
        c->victims.push_back(victim.job);
        break;
      default:
        victim.job.cancel();
        c->cancels.fetch_add(1);
        c->victims.push_back(victim.job);
        break;
    }
    c->applied.fetch_add(1);
  }
  c->injector_error = error;
}

// Waits until every item is resolved; false after `limit`, or as soon as the top supervisor ended.
la::job<bool> wait_resolved(chaos_ptr c, la::supervisor top, la::clock::duration limit) {
  const auto deadline = la::clock::now() + limit;
  for (;;) {
    const bool set = co_await la::move_on_after(200ms, c->all_resolved.wait());
    if (set)
      co_return true;
    if (top.done() || la::clock::now() > deadline)
      co_return false;
  }
}

// A `started` event of a child that had started before (in the same supervisor).
bool is_restart(const event_copy& e, std::map<std::string, int>& starts) {
  return e.kind == la::supervisor_event::started && starts[e.sup + "/" + e.child]++ > 0;
}

// Once the last faults have been handled: every job killed or cancelled has ended (both act
// asynchronously), every worker runs again, each exit was followed by a restart, and
// which_children's restart counts agree with the events. Empty when so; otherwise
// what disagrees (after `limit`: the supervisors may still be restarting).
la::job<std::string> unsettled(chaos_ptr c, la::supervisor top, la::clock::duration limit) {
  const auto deadline = la::clock::now() + limit;
  std::string detail;
  for (;;) {
    std::map<std::string, int> starts, restarts, exits;
    for (const auto& e : c->events_now()) {
      restarts[e.sup + "/" + e.child] += is_restart(e, starts);
      exits[e.sup + "/" + e.child] += e.kind == la::supervisor_event::exited;
    }
    detail.clear();
    for (const auto& v : c->victims)
      if (!v.done())
        detail += v.name() + " was killed or cancelled and has not ended; ";
    for (unsigned k = 0; k < stages; ++k) {
      auto stage = co_await find_stage(top, k);
      if (!stage.valid()) {
        detail += stage_name(k) + " is not running; ";
        continue;
      }
      const auto kids = co_await stage.which_children();
      for (const auto& kid : kids) {
        const auto key = stage_name(k) + "/" + kid.id;
        if (kid.state != la::child_info::running || !kid.job.valid() || kid.job.done() ||
            static_cast<int>(kid.restarts) != restarts[key] || exits[key] != restarts[key])
          detail += key + " (state " + std::to_string(kid.state) + ", restarts " + std::to_string(kid.restarts) +
                    ", restart events " + std::to_string(restarts[key]) + ", exits " + std::to_string(exits[key]) +
                    "); ";
      }
    }
    if (detail.empty() || top.done() || la::clock::now() > deadline)
      co_return detail;
    co_await la::yield();
  }
}

// What the supervisors' events say about the run.
struct event_summary {
  std::map<std::string, std::size_t> most_in_a_period;  // restarts within any one period, per supervisor
  std::size_t restarts = 0, top_restarts = 0;
  unsigned escalations = 0, over_intensity = 0, odd_top_exits = 0, normal_worker_exits = 0, foreign_failures = 0;
  unsigned failed = 0, killed = 0, cancelled = 0;  // stage workers' exits
  unsigned terminated = 0, terminated_not_cancelled = 0;  // stopped by their supervisor
};

event_summary summarize(const std::vector<event_copy>& events) {
  event_summary s;
  std::map<std::string, std::vector<la::clock::time_point>> restarts;
  std::map<std::string, int> starts;
  for (const auto& e : events) {
    const bool top = e.sup == "chaos";
    if (is_restart(e, starts))
      restarts[e.sup].push_back(e.at);
    s.escalations += e.kind == la::supervisor_event::escalated;
    s.over_intensity += e.restarts_in_period > (top ? top_intensity : stage_intensity);
    if (e.kind == la::supervisor_event::terminated && e.child != "producer") {  // it may or may not have ended
      ++s.terminated;
      s.terminated_not_cancelled += e.reason != la::exit_reason::cancelled;
    }
    if (e.kind != la::supervisor_event::exited)
      continue;
    if (top) {  // only the producer ends, once, normally (a transient child: not restarted)
      s.odd_top_exits += !(e.child == "producer" && e.reason == la::exit_reason::normal);
      continue;
    }
    s.normal_worker_exits += e.reason == la::exit_reason::normal;
    s.foreign_failures += e.reason == la::exit_reason::failed && !e.injected;
    s.failed += e.reason == la::exit_reason::failed;
    s.killed += e.reason == la::exit_reason::killed;
    s.cancelled += e.reason == la::exit_reason::cancelled;
  }
  for (auto& [sup, times] : restarts) {
    std::sort(times.begin(), times.end());
    std::size_t most = 0;
    for (std::size_t i = 0, j = 0; i < times.size(); ++i) {
      while (times[i] - times[j] > period)  // OTP's window: now <= then + period
        ++j;
      most = std::max(most, i - j + 1);
    }
    s.most_in_a_period[sup] = most;
    s.restarts += times.size();
    s.top_restarts += sup == "chaos" ? times.size() : 0;
  }
  return s;
}

std::string unresolved(const chaos& c) {
  std::ostringstream out;
  for (std::uint32_t id = 0, shown = 0; id < c.n && shown < 20; ++id) {
    const auto s = c.ledger[id].state.load();
    if (s == pending || s == sent) {
      out << " #" << id << (s == pending ? " pending" : " sent") << ", attempts " << c.ledger[id].attempts.load() << ";";
      ++shown;
    }
  }
  return out.str();
}

long long ms(la::clock::duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

} // namespace

LIBACTOR_TEST_CASE_WITH(pipeline_survives_chaos_without_losing_items, (la::runtime_config{.threads = 4})) {
  const auto frames_before = la::live_job_frames();
  const auto seed = pick_seed();
  const std::uint32_t n = sanitized() ? 5000 : 20000;
  BOOST_TEST_MESSAGE("chaos seed " << seed << " (replay with LIBACTOR_CHAOS_SEED=" << seed << "), " << n
                                   << " items, " << faults << " faults");
  auto c = std::make_shared<chaos>(seed, n);
  const auto t0 = la::clock::now();
  auto spec = top_spec(c);
  la::supervisor top = co_await la::start_supervisor(std::move(spec));
  auto injector = la::spawn(inject_faults(c, top), {.name = "chaos-injector"});

  const bool resolved = co_await wait_resolved(c, top, 120s);
  const auto resolved_at = la::clock::now() - t0;
  BOOST_CHECK_MESSAGE(resolved, "items unresolved (seed " << seed << "): " << c->resolved.load() << " of " << n
                                    << " resolved, top supervisor " << (top.done() ? "ended" : "running") << ";"
                                    << unresolved(*c));
  const bool injector_ended = co_await la::move_on_after(90s, injector);
  const auto injected_at = la::clock::now() - t0;
  BOOST_CHECK_MESSAGE(injector_ended, "the fault injector hung");
  BOOST_CHECK_MESSAGE(c->injector_error.empty(), "fault injector: " << c->injector_error);
  BOOST_CHECK_EQUAL(c->applied.load(), faults);
  for (auto& flags : c->throw_next)  // no fault from here on
    for (auto& flag : flags)
      flag.store(false);
  const auto settle = co_await la::move_on_after(30s, unsettled(c, top, 10s));
  BOOST_CHECK_MESSAGE(settle.has_value(), "the supervisors did not answer which_children within 30 s");
  if (settle)
    BOOST_CHECK_MESSAGE(settle->empty(), "after the faults: " << *settle);

  std::string stop_error = "did not end within 30 s";
  try {
    const bool ended = co_await la::move_on_after(30s, top.stop());
    if (ended)
      stop_error.clear();
  } catch (const std::exception& e) {
    stop_error = e.what();
  }
  BOOST_CHECK_MESSAGE(stop_error.empty(), "top.stop(): " << stop_error);
  const auto stopped_at = la::clock::now() - t0;

  // Every item acknowledged exactly once or reported as failed: none silently lost.
  std::uint32_t n_acked = 0, n_failed = 0, n_open = 0, bad_counts = 0;
  for (const auto& e : c->ledger) {
    const auto s = e.state.load();
    n_acked += s == acked;
    n_failed += s == failed;
    n_open += s == pending || s == sent;
    bad_counts += e.ack_count.load() != (s == acked ? 1u : 0u);
  }
  BOOST_CHECK_EQUAL(n_acked + n_failed, n);
  BOOST_CHECK_EQUAL(n_open, 0u);
  BOOST_CHECK_EQUAL(bad_counts, 0u);
  BOOST_CHECK_EQUAL(n_acked, c->acked.load());
  BOOST_CHECK_EQUAL(n_failed, c->failed_items.load());
  BOOST_CHECK_EQUAL(c->corrupt.load(), 0u);

  // Restarts stayed within their limits, and only the injected faults ended workers.
  const auto s = summarize(c->events_now());
  for (const auto& [sup, most] : s.most_in_a_period)
    BOOST_CHECK_MESSAGE(most <= (sup == "chaos" ? top_intensity : stage_intensity),
                        sup << ": " << most << " restarts within one period");
  BOOST_CHECK_EQUAL(s.escalations, 0u);
  BOOST_CHECK_EQUAL(s.over_intensity, 0u);
  BOOST_CHECK_EQUAL(s.top_restarts, 0u);
  BOOST_CHECK_EQUAL(s.odd_top_exits, 0u);
  BOOST_CHECK_EQUAL(s.normal_worker_exits, 0u);
  BOOST_CHECK_EQUAL(s.foreign_failures, 0u);
  // stop() cancelled every running child (sink, stages and their workers), and each obeyed.
  BOOST_CHECK_EQUAL(s.terminated, 1 + stages * (1 + workers_per_stage));
  BOOST_CHECK_EQUAL(s.terminated_not_cancelled, 0u);
  // Each exit has its fault's reason: a kill ends a job `killed` (record_base::request_kill), even
  // one that has not had its first turn yet, and a cancellation `cancelled`.
  BOOST_CHECK_LE(s.failed, c->throws_fired.load());
  BOOST_CHECK_MESSAGE(s.killed <= c->kills.load() && s.cancelled <= c->cancels.load(),
                      "exits: " << s.killed << " killed, " << s.cancelled << " cancelled; faults: " << c->kills.load()
                                << " kills, " << c->cancels.load() << " cancels");
  BOOST_CHECK_GT(s.restarts, 0u);
  BOOST_CHECK_LE(s.restarts, static_cast<std::size_t>(c->applied.load()));  // at most one per fault

  BOOST_TEST_MESSAGE("chaos seed " << seed << ": " << n_acked << " acked, " << n_failed << " failed, "
                     << c->resends.load() << " resends, " << c->duplicates.load() << " duplicates, " << c->late.load()
                     << " late; faults: " << c->throws_set.load() << " throws (" << c->throws_fired.load()
                     << " fired), " << c->kills.load() << " kills, " << c->cancels.load() << " cancels; "
                     << s.restarts << " restarts after " << s.failed << " failed, " << s.killed << " killed, "
                     << s.cancelled << " cancelled; resolved at " << ms(resolved_at) << " ms, faults done at "
                     << ms(injected_at) << " ms, stopped at " << ms(stopped_at) << " ms");

  // Shutdown leaves no job behind: every frame of the tree and of the injector is gone.
  BOOST_CHECK_EQUAL(la::live_job_frames(), frames_before);
}
