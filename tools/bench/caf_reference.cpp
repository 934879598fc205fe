// Plain, idiomatic CAF 0.17.6 versions of the libactor benchmarks.
//
// Rules followed so the comparison is fair:
//  * one fresh caf::actor_system per run, default (work-stealing) scheduler,
//    only scheduler.max-threads changed;
//  * the clock (steady_clock) covers the workload only: from the first
//    message/spawn of the workload until a scoped_actor has received the
//    final result; system construction and shutdown are excluded;
//  * message payloads are int64_t, a CAF built-in type (type number != 0),
//    so pattern matching takes CAF's fast path. (`long long` is a distinct
//    type from int64_t == long on LP64 and would hit the slower RTTI path.)
#include "caf_reference.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace bench::caf_ref {
namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

caf::actor_system_config make_config(int threads) {
  caf::actor_system_config cfg;
  // Key name as read by CAF 0.17's actor_system (string "scheduler.max-threads"
  // in libcaf_core); stored as an integer config_value, read back as size_t.
  cfg.set("scheduler.max-threads", threads);
  return cfg;
}

// -- skynet -------------------------------------------------------------------
//
// Protocol choice: children report to their parent with a plain asynchronous
// send, and the parent counts 10 replies in its state. This is the most
// natural CAF shape for a fan-in of fixed size and the fastest: a
// request().then() per child would allocate and register a response handler
// (plus a timeout-less pending-request entry) per child for no benefit, since
// the parent does not need to correlate replies with children (it only sums).
// Measured on the 2-core dev box, 1M leaves, 2 threads: plain sends ~1.9-2.1 s,
// request().then() + response_promise ~2.2-3.0 s. Children use the default
// spawn (spawn<lazy_init> measured no different, so the plain form is kept).

struct skynet_state {
  caf::actor parent;   // who asked us (the parent node or the scoped_actor)
  int64_t sum = 0;     // running sum of the children's replies
  int pending = 0;     // replies still outstanding
};

caf::behavior skynet_node(caf::stateful_actor<skynet_state>* self) {
  return {
    // "Tell" from the parent: compute the sum of leaves [num, num + size).
    [=](int64_t num, int64_t size) {
      auto parent = caf::actor_cast<caf::actor>(self->current_sender());
      if (size == 1) {
        self->send(parent, num);
        self->quit();
        return;
      }
      self->state.parent = std::move(parent);
      self->state.pending = 10;
      const int64_t child_size = size / 10;
      for (int64_t i = 0; i < 10; ++i)
        self->send(self->spawn(skynet_node), num + i * child_size, child_size);
    },
    // Reply from one child.
    [=](int64_t partial) {
      auto& st = self->state;
      st.sum += partial;
      if (--st.pending == 0) {
        self->send(st.parent, st.sum);
        self->quit();
      }
    },
  };
}

// -- ping-pong ----------------------------------------------------------------
//
// Both actors run the same behavior: on n > 0 send n - 1 back to the sender,
// so `rounds` messages are exchanged in total. The actor that receives 0
// reports to the scoped_actor that is waiting.

caf::behavior bouncer(caf::event_based_actor* self, caf::actor done) {
  return {
    [=](int64_t n) {
      if (n == 0) {
        self->send(done, n);
        return;
      }
      self->send(caf::actor_cast<caf::actor>(self->current_sender()), n - 1);
    },
  };
}

// -- stream (queue throughput) -------------------------------------------------
//
// The sender pushes the ints 0 .. items-1 (int32_t, a CAF built-in type) to
// the receiver. With window == 0 it sends them all in one turn: CAF's
// mailbox is unbounded, so this is the fastest raw-CAF shape but has no
// backpressure at all. With window > 0 it keeps at most `window` items
// unacknowledged and the receiver acks every window/2 items with its running
// count (credit-based flow control, what a bounded queue gives for free).

using stream_go_atom = caf::atom_constant<caf::atom("sgo")>;
using stream_ack_atom = caf::atom_constant<caf::atom("sack")>;

struct stream_sender_state {
  caf::actor receiver;
  long items = 0;
  long window = 0;  // 0: no flow control
  long sent = 0;
  long acked = 0;   // items the receiver has confirmed
};

// Sends as many items as the window allows; quits once all are sent.
void stream_send_some(caf::stateful_actor<stream_sender_state>* self) {
  auto& st = self->state;
  const long limit = st.window == 0 ? st.items : std::min(st.items, st.acked + st.window);
  for (; st.sent < limit; ++st.sent)
    self->send(st.receiver, static_cast<int32_t>(st.sent));
  if (st.sent == st.items)
    self->quit();  // acks that still arrive are dropped
}

caf::behavior stream_sender(caf::stateful_actor<stream_sender_state>* self, caf::actor receiver, long items,
                            long window) {
  self->state.receiver = std::move(receiver);
  self->state.items = items;
  self->state.window = window;
  return {
    [=](stream_go_atom) { stream_send_some(self); },
    [=](stream_ack_atom, int64_t received) {
      self->state.acked = received;
      stream_send_some(self);
    },
  };
}

struct stream_receiver_state {
  caf::actor done;  // the scoped_actor waiting for the sum
  long items = 0;
  long ack_every = 0;  // 0: never ack
  long count = 0;
  int64_t sum = 0;
};

caf::behavior stream_receiver(caf::stateful_actor<stream_receiver_state>* self, caf::actor done, long items,
                              long window) {
  self->state.done = std::move(done);
  self->state.items = items;
  self->state.ack_every = window == 0 ? 0 : std::max(1L, window / 2);
  return {
    [=](int32_t x) {
      auto& st = self->state;
      st.sum += x;
      if (++st.count == st.items) {
        self->send(st.done, st.sum);
        self->quit();
        return;
      }
      if (st.ack_every != 0 && st.count % st.ack_every == 0)
        self->send(caf::actor_cast<caf::actor>(self->current_sender()), stream_ack_atom::value,
                   static_cast<int64_t>(st.count));
    },
  };
}

}  // namespace

double skynet_seconds(int threads, long leaves, long long* sum) {
  auto cfg = make_config(threads);
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  int64_t result = 0;
  const auto start = clock_type::now();
  auto root = self->spawn(skynet_node);
  self->send(root, int64_t{0}, static_cast<int64_t>(leaves));
  self->receive([&](int64_t s) { result = s; });
  const double secs = seconds_since(start);
  if (sum != nullptr)
    *sum = result;
  return secs;  // every node has quit; ~actor_system returns promptly
}

double pingpong_msgs_per_sec(int threads, long rounds) {
  if (rounds <= 0)
    return 0.0;
  auto cfg = make_config(threads);
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto ping = self->spawn(bouncer, caf::actor{self});
  auto pong = self->spawn(bouncer, caf::actor{self});
  const auto start = clock_type::now();
  // First bounce is sent on behalf of ping (send_as), so pong's reply goes to
  // ping and the scoped_actor is not part of the bouncing. Values rounds-1
  // down to 0 travel => exactly `rounds` messages between the two actors.
  caf::send_as(ping, pong, static_cast<int64_t>(rounds - 1));
  self->receive([](int64_t) {});
  const double secs = seconds_since(start);
  // Both bouncers wait forever; stop them so ~actor_system does not block.
  self->send_exit(ping, caf::exit_reason::user_shutdown);
  self->send_exit(pong, caf::exit_reason::user_shutdown);
  return static_cast<double>(rounds) / secs;
}

double stream_items_per_sec(int threads, bool sharing, long items, long window, long long* sum) {
  if (items <= 0)
    return 0.0;
  auto cfg = make_config(threads);
  if (sharing)
    cfg.set("scheduler.policy", caf::atom("sharing"));  // an atom, as libactor's runtime sets it
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto receiver = self->spawn(stream_receiver, caf::actor{self}, items, window);
  auto sender = self->spawn(stream_sender, receiver, items, window);
  int64_t result = 0;
  const auto start = clock_type::now();
  self->send(sender, stream_go_atom::value);
  self->receive([&](int64_t s) { result = s; });
  const double secs = seconds_since(start);
  if (sum != nullptr)
    *sum = result;
  return static_cast<double>(items) / secs;  // both actors have quit
}

}  // namespace bench::caf_ref
