#pragma once
// callback_timers: the call_later / call_at / call_every timers a job owns. Their callbacks run in
// the job's own actor turns (between resumptions of its coroutine), and they end with the job.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace libactor::detail {

class callback_timers {
public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;

  /// Registers a callback first due at `first`, then every `period` (zero: once). Returns its id.
  std::uint32_t add(time_point first, duration period, std::function<void()> fn);
  void cancel(std::uint32_t id) noexcept;
  bool active(std::uint32_t id) const noexcept;
  /// Runs callback `id` if it is still active. Returns when it is due next (periodic ones), or
  /// nothing. A callback that throws is logged (naming `job`) and stopped.
  std::optional<time_point> fire(std::uint32_t id, time_point now, const std::string& job);

private:
  struct entry {
    std::uint32_t id;
    duration period;
    time_point next;
    std::function<void()> fn;
  };
  std::vector<entry>::iterator find(std::uint32_t id) noexcept;

  std::vector<entry> entries_;
  std::uint32_t next_id_ = 1;
};

} // namespace libactor::detail
