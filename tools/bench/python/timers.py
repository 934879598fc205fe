#!/usr/bin/env python3
"""Timer scale in asyncio: the Python reference for libactor's timers bench.

N tasks each sleep a random duration in [0, 10 s] from when they start, and record how late they
woke (wake-up time minus deadline). Prints ONE JSON line with the lateness
percentiles (ms) and the peak RSS.

Usage: timers.py [TASKS]
"""
import asyncio
import json
import random
import resource
import sys
import time


async def sleeper(delay, lateness, i):
    deadline = time.monotonic() + delay
    await asyncio.sleep(delay)
    lateness[i] = time.monotonic() - deadline


async def main(n):
    rng = random.Random(42)
    lateness = [0.0] * n
    tasks = [asyncio.create_task(sleeper(rng.uniform(0.0, 10.0), lateness, i)) for i in range(n)]
    await asyncio.gather(*tasks)
    return sorted(lateness)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    late = asyncio.run(main(n))
    pick = lambda q: late[min(len(late) - 1, int(q * len(late)))] * 1000.0
    print(json.dumps({"impl": "asyncio", "tasks": n, "p50_ms": pick(0.50), "p99_ms": pick(0.99),
                      "p999_ms": pick(0.999), "max_ms": late[-1] * 1000.0,
                      "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss},
                     separators=(",", ":")))
