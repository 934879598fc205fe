#!/usr/bin/env python3
"""Semaphore fan-out in asyncio: the Python reference for libactor's semaphore_fanout bench.

N tasks each enter `async with asyncio.Semaphore(LIMIT)`, count themselves in (recording the peak
number inside at once), yield once with asyncio.sleep(0), and count themselves out. The main
task yields after every 1000 create_task calls, as the libactor side does. Times from the first
create_task until every task has been awaited (one by one, the faster idiomatic form; see
skynet.py). Repeats REPS times, each in a fresh event loop, and reports the median.

Usage: semaphore_fanout.py [N] [LIMIT] [--reps R] [--uvloop]
Prints ONE JSON line: {"impl":"asyncio","tasks":N,"limit":L,"reps":R,"seconds":T,"peak":P}
"""
import asyncio
import json
import statistics
import sys
import time


async def main(n: int, limit: int):
    sem = asyncio.Semaphore(limit)
    active = 0
    peak = 0

    async def worker():
        nonlocal active, peak
        async with sem:
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0)
            active -= 1

    start = time.perf_counter()
    tasks = []
    for i in range(n):
        tasks.append(asyncio.create_task(worker()))
        if i % 1000 == 999:
            await asyncio.sleep(0)  # the same shape as the libactor side, which yields here
    for t in tasks:
        await t
    return time.perf_counter() - start, peak


if __name__ == "__main__":
    argv = sys.argv[1:]
    use_uvloop = "--uvloop" in argv
    reps = 1
    if "--reps" in argv:
        i = argv.index("--reps")
        reps = int(argv[i + 1])
        del argv[i:i + 2]
    args = [a for a in argv if not a.startswith("--")]
    n = int(args[0]) if args else 100_000
    limit = int(args[1]) if len(args) > 1 else 100
    impl = "asyncio"
    if use_uvloop:
        import uvloop  # only when asked; fails loudly if not installed
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        impl = "asyncio+uvloop"
    runs = [asyncio.run(main(n, limit)) for _ in range(reps)]
    print(json.dumps({"impl": impl, "tasks": n, "limit": limit, "reps": reps,
                      "seconds": statistics.median(s for s, _ in runs),
                      "peak": max(p for _, p in runs)}, separators=(",", ":")))
