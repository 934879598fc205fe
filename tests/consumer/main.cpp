// Builds against an installed libactor (no CAF headers needed) and checks one spawn round trip.
#include <libactor/libactor.hpp>

libactor::job<int> twice(int x) { co_return 2 * x; }

libactor::job<int> amain() {
  int v = co_await libactor::spawn(twice(21));
  co_return v == 42 ? 0 : 1;
}

int main(int argc, char** argv) { return libactor::run(amain(), argc, argv); }
