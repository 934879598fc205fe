// Scheduling by priority ("use the asyncio.PriorityQueue to schedule tasks with different priorities"):
//   queue = asyncio.PriorityQueue()
//   queue.put_nowait((3, "rebuild search index"))        # lowest number first, like Python's tuples
//   priority, name = await queue.get(); ...; queue.task_done()
// Two workers take the most urgent job first; a job that arrives later jumps ahead of the queued ones.
#include <libactor/libactor.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <utility>

namespace la = libactor;
using namespace std::chrono_literals;

using work_item = std::pair<int, std::string>;  // (priority, name): std::greater puts 1 before 2
using work_queue = la::priority_queue<work_item>;

la::job<void> worker(int id, work_queue& jobs, std::chrono::milliseconds start_after) {
  co_await la::sleep(start_after);  // staggered starts keep the printed order stable from run to run
  while (auto item = co_await jobs.next()) {  // nullopt once the queue is closed and empty
    std::printf("worker %d: priority %d, %s\n", id, item->first, item->second.c_str());
    co_await la::sleep(200ms);  // the work
    jobs.task_done();
  }
}

la::job<int> amain() {
  work_queue jobs{la::unbounded};
  jobs.try_put({3, "rebuild search index"});  // never waits on an unbounded queue: put_nowait
  jobs.try_put({5, "send weekly newsletter"});
  jobs.try_put({1, "renew TLS certificate"});
  jobs.try_put({4, "clean temp files"});
  jobs.try_put({2, "resize uploaded images"});

  auto w1 = la::spawn(worker(1, jobs, 0ms), {.name = "worker-1"});
  auto w2 = la::spawn(worker(2, jobs, 50ms), {.name = "worker-2"});
  co_await la::sleep(300ms);  // both workers are busy now; priorities 3 and 4 are running
  std::printf("main: urgent job arrives\n");
  jobs.try_put({0, "page the on-call engineer"});  // served before 5, although put last

  co_await jobs.join();  // every job put has been marked task_done()
  jobs.close();          // the workers' next() returns nullopt: they end
  co_await w1;
  co_await w2;
  std::printf("all jobs done\n");
  co_return 0;
}

int main(int argc, char** argv) { return la::run(amain(), argc, argv); }
