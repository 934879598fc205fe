// create_task: start a job concurrently, do other work, then await its result.
//   task = asyncio.create_task(fetch_data("url1")); ...; result = await task
#include <libactor/libactor.hpp>

#include <cstdio>
#include <string>

namespace la = libactor;
using namespace std::chrono_literals;

la::job<std::string> fetch_data(std::string url) {
  co_await la::sleep(500ms);  // simulated network I/O (the tutorial sleeps 2 s)
  std::printf("Fetched data from %s\n", url.c_str());
  co_return "Data from " + url;
}

la::job<int> amain() {
  // spawn = create_task: the job becomes its own actor and starts now, on any worker thread.
  la::handle<std::string> task = la::spawn(fetch_data("url1"), {.name = "fetch-url1"});
  std::printf("main: spawned %s, doing other work meanwhile\n", task.name().c_str());
  std::string result = co_await task;  // waits for the job; rethrows its exception if it failed
  std::printf("main: %s\n", result.c_str());
  co_return 0;
}

int main(int argc, char** argv) { return la::run(amain(), argc, argv); }
