// A producer/consumer pipeline over a bounded queue: when the consumer is slower, the queue fills up
// and the producer waits (backpressure) instead of piling up items in memory.
//   queue = asyncio.Queue(maxsize=2)
//   await queue.put(item)        # waits while the queue is full
//   queue.shutdown()             # Python 3.13: consumers drain what is left, then stop
#include <libactor/libactor.hpp>

#include <chrono>
#include <cstdio>

namespace la = libactor;
using namespace std::chrono_literals;

la::job<void> producer(la::queue<int>& q, int count) {
  for (int item = 1; item <= count; ++item) {
    co_await la::sleep(50ms);  // making an item is fast...
    std::printf("producer: made %d\n", item);  // printed before the put: the consumer may print at once
    if (!q.try_put(item)) {
      std::printf("producer: queue full, waiting to put %d\n", item);
      co_await q.put(item);  // resumes when the consumer has taken one
    }
  }
  q.close();  // no more items; the consumer still gets those queued
}

la::job<int> consumer(la::queue<int>& q) {
  int done = 0;
  while (auto item = co_await q.next()) {  // nullopt once the queue is closed and drained
    std::printf("consumer: got %d (%zu queued)\n", *item, q.size());
    co_await la::sleep(200ms);  // ...processing it is slow
    ++done;
  }
  std::printf("consumer: queue closed and drained, %d items processed\n", done);
  co_return done;
}

la::job<int> amain() {
  la::queue<int> q{2};  // at most 2 items wait between the stages
  auto c = la::spawn(consumer(q), {.name = "consumer"});
  auto p = la::spawn(producer(q, 6), {.name = "producer"});
  co_await p;
  int processed = co_await c;
  co_return processed == 6 ? 0 : 1;
}

int main(int argc, char** argv) { return la::run(amain(), argc, argv); }
