#include <libactor/job.hpp>

namespace libactor {

namespace detail {
frame_shard& this_thread_frame_shard() noexcept {
  static std::atomic<std::size_t> next{0};
  thread_local frame_shard& mine = frame_shards[next.fetch_add(1, std::memory_order_relaxed) % frame_shard_count];
  return mine;
}
} // namespace detail

std::int64_t live_job_frames() noexcept {
  std::int64_t total = 0;
  for (auto& s : detail::frame_shards)
    total += s.count.load(std::memory_order_relaxed);
  return total;
}

} // namespace libactor
