// Run several jobs concurrently and collect all results:
//   results = await asyncio.gather(fetch_data("url1"), fetch_data("url2"), fetch_data("url3"))
// Here: spawn each job, then await each handle. libactor::gather (which also cancels the siblings
// when one fails) arrives with the structured-concurrency work.
#include <libactor/libactor.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace la = libactor;
using namespace std::chrono_literals;

la::job<std::string> fetch_data(std::string url) {
  co_await la::sleep(500ms);  // simulated network I/O (the tutorial sleeps 2 s)
  std::printf("Fetched data from %s\n", url.c_str());
  co_return "Data from " + url;
}

la::job<int> amain() {
  auto start = std::chrono::steady_clock::now();
  std::vector<la::handle<std::string>> tasks;
  for (const char* url : {"url1", "url2", "url3"})
    tasks.push_back(la::spawn(fetch_data(url)));  // all three start now, as three actors
  for (auto& t : tasks)
    std::printf("%s\n", (co_await t).c_str());  // in spawn order, whatever order they finish in
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  std::printf("elapsed %.2f s (one fetch, not three: they ran concurrently)\n", elapsed.count());
  co_return 0;
}

int main(int argc, char** argv) { return la::run(amain(), argc, argv); }
