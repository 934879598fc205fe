// pool (pool.hpp).

#include "pool.hpp"

#include <libactor/http/errors.hpp>
#include <libactor/spawn.hpp>
#include <libactor/time.hpp>

namespace libactor::http::detail {

struct pool::claim {
  std::unique_ptr<connection> idle;  // a kept-alive connection to reuse
  bool may_open = false;             // a slot was reserved: open a new connection
  std::shared_ptr<event> wait_on;    // neither: wait for a change, then try again
};

pool::pool(session_options options) : options_(std::move(options)), changed_(std::make_shared<event>()) {}

pool::~pool() { close(); }

const tls_context& pool::tls() {
  std::call_once(tls_once_, [this] { tls_ = std::make_unique<tls_context>(options_.verify_tls, options_.ca_file); });
  return *tls_;
}

std::shared_ptr<event> pool::take_changed_locked() { return std::exchange(changed_, std::make_shared<event>()); }

void pool::forget(const std::string& key) {
  auto it = hosts_.find(key);
  if (it != hosts_.end() && --it->second.open == 0 && it->second.idle.empty())
    hosts_.erase(it);
  --open_;
}

clock::time_point pool::drop_expired(doomed_list& doomed) {
  auto next = clock::time_point::max();
  if (options_.keepalive_timeout <= clock::duration::zero())
    return next;
  auto horizon = clock::now() - options_.keepalive_timeout;
  for (auto it = hosts_.begin(); it != hosts_.end();) {
    auto& idle = it->second.idle;
    while (!idle.empty() && idle.front()->idle_since <= horizon) {
      doomed.push_back(std::move(idle.front()));
      idle.pop_front();
      --it->second.open;
      --open_;
    }
    if (!idle.empty())
      next = std::min(next, idle.front()->idle_since + options_.keepalive_timeout);
    it = (it->second.open == 0) ? hosts_.erase(it) : std::next(it);
  }
  return next;
}

bool pool::need_sweeper_locked() {
  if (sweeper_running_ || closed_ || options_.keepalive_timeout <= clock::duration::zero())
    return false;
  sweeper_running_ = true;
  return true;
}

job<void> sweep_idle(std::weak_ptr<pool> p) {
  for (;;) {
    clock::time_point next;
    {
      auto alive = p.lock();  // not held across the sleep: the sweeper never keeps a pool alive
      if (alive == nullptr)
        co_return;
      next = alive->sweep();
    }
    if (next == clock::time_point::max())
      co_return;
    co_await sleep_until(next);
  }
}

void pool::start_sweeper() {
  try {
    auto h = spawn(sweep_idle(weak_from_this()), {.name = "http.pool-sweeper"});
    std::lock_guard lock(mutex_);
    sweeper_ = h;
    if (closed_)
      h.cancel();  // closed while it was being spawned
  } catch (...) {
    // No runtime (a release after it ended) or no memory: expiry falls back to the next acquire.
    std::lock_guard lock(mutex_);
    sweeper_running_ = false;
  }
}

clock::time_point pool::sweep() {
  doomed_list doomed;
  std::lock_guard lock(mutex_);
  auto next = drop_expired(doomed);
  if (next == clock::time_point::max() || closed_) {
    sweeper_running_ = false;  // a later release starts a new one
    return clock::time_point::max();
  }
  return next;
}

pool::claim pool::try_claim(const std::string& key, bool fresh, doomed_list& doomed) {
  if (closed_)
    throw error(errc::closed, "the HTTP session is closed");
  drop_expired(doomed);
  claim out;
  auto& slots = hosts_[key];
  if (!slots.idle.empty() && !fresh) {
    out.idle = std::move(slots.idle.back());  // the warmest one
    slots.idle.pop_back();
    return out;
  }
  if (!slots.idle.empty()) {
    // A fresh connection is wanted, and this host's idle ones are suspect: make room with one.
    doomed.push_back(std::move(slots.idle.front()));
    slots.idle.pop_front();
    --slots.open;
    --open_;
  }
  bool host_ok = options_.limit_per_host == 0 || slots.open < options_.limit_per_host;
  bool total_ok = options_.limit == 0 || open_ < options_.limit;
  if (host_ok && !total_ok) {
    // Make room by closing the longest-idle connection to another host.
    host_slots* victim = nullptr;
    for (auto& [k, other] : hosts_)
      if (!other.idle.empty() && (victim == nullptr || other.idle.front()->idle_since < victim->idle.front()->idle_since))
        victim = &other;
    if (victim != nullptr) {
      doomed.push_back(std::move(victim->idle.front()));
      victim->idle.pop_front();
      --victim->open;
      --open_;
      total_ok = true;
    }
  }
  if (host_ok && total_ok) {
    ++slots.open;
    ++open_;
    out.may_open = true;
    return out;
  }
  out.wait_on = changed_;
  return out;
}

job<std::unique_ptr<connection>> pool::acquire(const url& u, bool fresh) {
  const std::string key = u.scheme() + "://" + u.host() + ":" + std::to_string(u.port());
  for (;;) {
    claim c;
    {
      doomed_list doomed;  // declared before the lock: closed after it is released
      std::lock_guard lock(mutex_);
      c = try_claim(key, fresh, doomed);
    }
    if (c.idle) {
      reused_.fetch_add(1, std::memory_order_relaxed);
      co_return std::move(c.idle);
    }
    if (c.may_open) {
      std::unique_ptr<connection> fresh;
      try {
        fresh = co_await connection::open(u, u.is_tls() ? &tls() : nullptr);
      } catch (...) {
        free_slot(key);  // failed, timed out or cancelled: the slot is someone else's now
        throw;
      }
      fresh->key = key;
      opened_.fetch_add(1, std::memory_order_relaxed);
      co_return fresh;
    }
    co_await c.wait_on->wait();
  }
}

void pool::free_slot(const std::string& key) {
  std::shared_ptr<event> wake;
  {
    std::lock_guard lock(mutex_);
    forget(key);
    wake = take_changed_locked();
  }
  wake->set();
}

void pool::release(std::unique_ptr<connection> c, bool reusable) noexcept {
  if (c == nullptr)
    return;
  std::shared_ptr<event> wake;
  doomed_list doomed;
  bool spawn_sweeper = false;
  try {
    std::lock_guard lock(mutex_);
    if (reusable && !closed_ && c->is_open() && c->input.empty()) {
      c->idle_since = clock::now();
      hosts_[c->key].idle.push_back(std::move(c));
      spawn_sweeper = need_sweeper_locked();
    } else {
      forget(c->key);
      doomed.push_back(std::move(c));
    }
    drop_expired(doomed);
    wake = take_changed_locked();
  } catch (...) {
    // Out of memory while pooling: the connection closes (c or doomed), its slot stays counted
    // until the pool is closed — limits err on the safe side.
  }
  if (wake)
    wake->set();
  if (spawn_sweeper)
    start_sweeper();
}

void pool::close() noexcept {
  std::shared_ptr<event> wake;
  doomed_list doomed;
  job_ref sweeper;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    sweeper = std::exchange(sweeper_, {});
    for (auto& [key, slots] : hosts_) {
      for (auto& c : slots.idle)
        doomed.push_back(std::move(c));
      slots.open -= slots.idle.size();
      open_ -= slots.idle.size();
      slots.idle.clear();
    }
    std::erase_if(hosts_, [](const auto& entry) { return entry.second.open == 0; });
    wake = take_changed_locked();
  }
  wake->set();
  if (sweeper.valid())
    sweeper.cancel();
}

pool_stats pool::stats() const {
  pool_stats out;
  std::lock_guard lock(mutex_);
  out.open = open_;
  for (const auto& [key, slots] : hosts_)
    out.idle += slots.idle.size();
  out.opened = opened_.load(std::memory_order_relaxed);
  out.reused = reused_.load(std::memory_order_relaxed);
  out.stale = stale_.load(std::memory_order_relaxed);
  return out;
}

} // namespace libactor::http::detail
