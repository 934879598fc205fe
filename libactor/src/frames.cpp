// Coroutine frame allocation, counted per thread shard so that counting costs no shared cache
// line; live_job_frames() adds the shards up.

#include <libactor/job.hpp>

#include <new>

namespace libactor {

namespace detail {
namespace {
struct alignas(64) frame_shard {
  std::atomic<std::int64_t> count{0};
};
constexpr std::size_t shard_count = 32;
frame_shard shards[shard_count];

frame_shard& this_thread_shard() noexcept {
  static std::atomic<std::size_t> next{0};
  thread_local frame_shard& mine = shards[next.fetch_add(1, std::memory_order_relaxed) % shard_count];
  return mine;
}
} // namespace

void* allocate_frame(std::size_t size) {
  void* p = ::operator new(size);
  this_thread_shard().count.fetch_add(1, std::memory_order_relaxed);
  return p;
}

void free_frame(void* p, std::size_t size) noexcept {
  this_thread_shard().count.fetch_sub(1, std::memory_order_relaxed);
  ::operator delete(p, size);
}
} // namespace detail

std::int64_t live_job_frames() noexcept {
  std::int64_t total = 0;
  for (auto& s : detail::shards)
    total += s.count.load(std::memory_order_relaxed);
  return total;
}

} // namespace libactor
