#!/usr/bin/env python3
"""asyncio.to_thread round trips: the Python reference for libactor's to_thread_latency bench.

One task awaits asyncio.to_thread(trivial, i) K times in sequence (the default executor, a
ThreadPoolExecutor) and records each round trip. The first 100 calls warm the executor up and
are not counted. Repeats REPS times, each in a fresh event loop, and reports the medians of the
per-repetition p50, p99 and calls per second.

Usage: to_thread.py [K] [--reps R]
Prints ONE JSON line: {"impl":"asyncio","calls":K,"reps":R,"p50_us":..,"p99_us":..,"calls_per_s":..}
"""
import asyncio
import json
import statistics
import sys
import time

WARMUP = 100


def trivial(x: int) -> int:
    return x + 1


async def main(k: int):
    for i in range(WARMUP):
        await asyncio.to_thread(trivial, i)
    lat = [0.0] * k
    start = time.perf_counter()
    for i in range(k):
        t0 = time.perf_counter()
        r = await asyncio.to_thread(trivial, i)
        lat[i] = time.perf_counter() - t0
        if r != i + 1:
            raise RuntimeError(f"wrong result {r} for {i}")
    seconds = time.perf_counter() - start
    lat.sort()
    pick = lambda q: lat[min(k - 1, int(q * k))] * 1e6
    return pick(0.50), pick(0.99), k / seconds


if __name__ == "__main__":
    argv = sys.argv[1:]
    reps = 1
    if "--reps" in argv:
        i = argv.index("--reps")
        reps = int(argv[i + 1])
        del argv[i:i + 2]
    k = int(argv[0]) if argv else 20_000
    runs = [asyncio.run(main(k)) for _ in range(reps)]
    print(json.dumps({"impl": "asyncio", "calls": k, "reps": reps,
                      "p50_us": statistics.median(r[0] for r in runs),
                      "p99_us": statistics.median(r[1] for r in runs),
                      "calls_per_s": statistics.median(r[2] for r in runs)},
                     separators=(",", ":")))
