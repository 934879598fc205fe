// A concurrency limit with a semaphore (asyncio.Semaphore): 6 downloads, at most 2 at once.
//   sem = asyncio.Semaphore(2)
//   async def fetch_data(url):
//       async with sem:
//           await asyncio.sleep(0.3)
#include <libactor/libactor.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <vector>

namespace la = libactor;
using namespace std::chrono_literals;

// Jobs run on several worker threads at once: counters they share are atomic.
struct counters {
  std::atomic<int> running{0};
  std::atomic<int> peak{0};
};

la::job<void> fetch_data(int id, la::semaphore& limit, counters& c) {
  co_await la::sleep(id * 50ms);  // staggered arrivals keep the printed order stable from run to run
  if (limit.locked())
    std::printf("job %d waits for a permit\n", id);
  {
    auto permit = co_await limit.scoped();  // `async with sem:` (waits while 2 jobs hold one)
    int now = ++c.running;
    int seen = c.peak.load();
    while (now > seen && !c.peak.compare_exchange_weak(seen, now)) {
    }
    std::printf("job %d starts, %d running\n", id, now);
    co_await la::sleep(300ms);  // the download
    --c.running;
    std::printf("job %d done\n", id);
  }  // the permit goes back here, straight to the job that has waited longest
}

la::job<int> amain() {
  la::semaphore limit{2};
  counters c;
  std::vector<la::job<void>> jobs;
  for (int id = 1; id <= 6; ++id)
    jobs.push_back(fetch_data(id, limit, c));
  co_await la::gather(std::move(jobs));  // each job is its own actor: they run concurrently
  std::printf("peak: %d running at once (limit 2)\n", c.peak.load());
  co_return c.peak.load() <= 2 ? 0 : 1;  // the limit held
}

int main(int argc, char** argv) { return la::run(amain(), argc, argv); }
