#include "callback_timers.hpp"

#include <algorithm>
#include <exception>

#include "log.hpp"

namespace libactor::detail {

std::uint32_t callback_timers::add(time_point first, duration period, std::function<void()> fn) {
  auto id = next_id_++;
  entries_.push_back(entry{id, period, first, std::move(fn)});
  return id;
}

std::vector<callback_timers::entry>::iterator callback_timers::find(std::uint32_t id) noexcept {
  return std::find_if(entries_.begin(), entries_.end(), [id](const entry& e) { return e.id == id; });
}

void callback_timers::cancel(std::uint32_t id) noexcept {
  if (auto i = find(id); i != entries_.end())
    entries_.erase(i);
}

bool callback_timers::active(std::uint32_t id) const noexcept {
  return std::any_of(entries_.begin(), entries_.end(), [id](const entry& e) { return e.id == id; });
}

std::optional<callback_timers::time_point> callback_timers::fire(std::uint32_t id, time_point now,
                                                                 const std::string& job) {
  auto i = find(id);
  if (i == entries_.end())
    return std::nullopt;  // cancelled before it was due
  auto fn = i->fn;  // a copy: the callback may cancel itself or add timers while it runs
  try {
    fn();
  } catch (const std::exception& e) {
    log().error("job '{}': timer callback threw (timer stopped): {}", job, e.what());
    cancel(id);
    return std::nullopt;
  } catch (...) {
    log().error("job '{}': timer callback threw a non-std exception (timer stopped)", job);
    cancel(id);
    return std::nullopt;
  }
  i = find(id);
  if (i == entries_.end())
    return std::nullopt;
  if (i->period == duration::zero()) {
    entries_.erase(i);
    return std::nullopt;
  }
  // Fixed rate; periods missed while the job was busy are skipped rather than run in a burst.
  i->next += i->period;
  if (i->next <= now)
    i->next = now + i->period;
  return i->next;
}

} // namespace libactor::detail
