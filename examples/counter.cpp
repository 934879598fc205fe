// Messaging, which asyncio lacks: a job owns its state and others talk to it through its mailbox.
#include <libactor/libactor.hpp>

#include <cstdio>

namespace la = libactor;
using namespace std::chrono_literals;

// Messages are plain structs: no registration, no serialization.
struct increment {};
struct get_count {};

la::job<void> counter() {
  int n = 0;  // no lock: only this job ever touches n
  for (;;) {
    // Selective receive: takes the next increment or get_count; other types would stay queued.
    auto m = co_await la::receive<increment, get_count>();
    if (m.is<increment>())
      ++n;
    else
      m.reply(n);  // answers the ask() below
  }
}

la::job<int> amain() {
  auto c = la::spawn(counter(), {.name = "counter"});
  for (int i = 0; i < 3; ++i)
    c.send(increment{});  // fire and forget
  // Request/response; a mailbox keeps one sender's messages in order, so all 3 increments come first.
  int count = co_await c.ask<int>(get_count{}, 1s);  // timeout_error if no reply within 1 s
  std::printf("%s says count = %d\n", c.name().c_str(), count);

  c.cancel();  // counter loops forever: stop it, and wait until it has ended
  try {
    co_await c;
  } catch (const la::cancelled&) {
  }
  co_return count == 3 ? 0 : 1;
}

int main(int argc, char** argv) { return la::run(amain(), argc, argv); }
