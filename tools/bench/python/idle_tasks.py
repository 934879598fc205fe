#!/usr/bin/env python3
"""Memory cost of idle asyncio tasks: the Python reference for libactor's
idle-actor bench.

Starts N tasks that each block forever (on one shared asyncio.Event by
default, i.e. "waiting for a message"; with --sleep on asyncio.sleep(3600),
which also costs a timer handle per task). Once every task has started and is
suspended, RSS growth per task is computed from /proc/self/status VmRSS; then
all tasks are cancelled.

Usage: idle_tasks.py [N] [--sleep]
Prints ONE JSON line:
{"impl":"asyncio","tasks":N,"rss_bytes_per_task":X,"rss_before_kb":..,"rss_after_kb":..}
"""
import asyncio
import gc
import json
import sys


def rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("VmRSS not found")


async def main(n: int, use_sleep: bool):
    event = asyncio.Event()  # never set
    started = 0

    async def idle():
        nonlocal started
        started += 1
        if use_sleep:
            await asyncio.sleep(3600)
        else:
            await event.wait()

    gc.collect()
    before = rss_kb()
    tasks = [asyncio.create_task(idle()) for _ in range(n)]
    # Let the loop run every task up to its first suspension point.
    while started < n:
        await asyncio.sleep(0)
    gc.collect()
    after = rss_kb()

    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return before, after


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--sleep"]
    use_sleep = "--sleep" in sys.argv[1:]
    n = int(args[0]) if args else 100_000
    before, after = asyncio.run(main(n, use_sleep))
    print(json.dumps({"impl": "asyncio", "tasks": n,
                      "rss_bytes_per_task": (after - before) * 1024 / n,
                      "rss_before_kb": before, "rss_after_kb": after},
                     separators=(",", ":")))
