// Reference benchmarks written against raw CAF 0.17.6, used as the baseline
// that libactor is compared with. This header is deliberately CAF-free so
// bench drivers can include it without pulling in CAF headers; only
// caf_reference.cpp needs CAF (link with -lcaf_core -lcaf_io).
#pragma once

namespace bench::caf_ref {

// Skynet: a tree of event_based_actors. Each non-leaf actor spawns 10
// children (self->spawn), tells each its (num, size/10) and sums their
// replies; leaves reply with their num. 1M leaves => sum 499999500000.
// Runs in a fresh actor_system with scheduler.max-threads = threads.
// Returns wall seconds of the workload (system construction excluded);
// writes the sum to *sum (if sum != nullptr).
double skynet_seconds(int threads, long leaves, long long* sum);

// Two event_based_actors bounce one message `rounds` times (each bounce is
// one message). Runs in a fresh actor_system with scheduler.max-threads =
// threads. Returns messages per second (rounds / wall seconds).
double pingpong_msgs_per_sec(int threads, long rounds);

// One event_based_actor sends the ints 0 .. items-1 to another, which counts
// them; the clock stops when the receiver has all of them. window == 0: the
// sender sends all of them in one turn (no flow control; the receiver's
// mailbox grows without bound). window > 0: credit-based flow control, the
// raw-CAF equivalent of a bounded queue — at most `window` items are unacked,
// and the receiver acks every window/2 items. Runs in a fresh actor_system
// with scheduler.max-threads = threads and scheduler.policy = "sharing" if
// `sharing`, else the default "stealing". Returns items per second; writes
// the receiver's sum of the items to *sum (if sum != nullptr).
double stream_items_per_sec(int threads, bool sharing, long items, long window, long long* sum);

}  // namespace bench::caf_ref
