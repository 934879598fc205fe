// deadline_scope: move_on_after cuts the work inside it when its deadline passes (Trio's
// move_on_after); scopes nest and the nearest deadline wins; current_deadline() reports it.
#include <libactor/libactor.hpp>

#include <chrono>
#include <cstdio>
#include <optional>

namespace la = libactor;
using namespace std::chrono_literals;

long long ms_left() {
  auto d = la::current_deadline();
  if (d == la::clock::time_point::max())
    return -1;  // no deadline
  return std::chrono::ceil<std::chrono::milliseconds>(d - la::clock::now()).count();
}

la::job<int> slow_answer() {
  std::printf("  slow_answer: deadline in %lld ms\n", ms_left());
  co_await la::sleep(1h);  // cut by the deadline: raises la::cancelled here
  co_return 42;
}

la::job<int> two_tries() {
  // The inner scope's 100 ms is nearer than the outer 1 s: it wins, and it alone is cut.
  std::optional<int> first = co_await la::move_on_after(100ms, slow_answer());
  std::printf("  first try: %s\n", first ? "answered" : "gave up");
  co_return 7;
}

la::job<int> amain() {
  std::printf("outside any scope: %lld\n", ms_left());
  std::optional<int> r = co_await la::move_on_after(1s, two_tries());
  std::printf("two_tries returned %d\n", r.value_or(-1));
  co_return 0;
}

int main(int argc, char** argv) { return la::run(amain(), argc, argv); }
