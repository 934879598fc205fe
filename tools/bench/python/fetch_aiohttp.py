"""The aiohttp reference of the HTTP client benchmark (tools/bench/fetch_compare.py): the way aiohttp's
docs fetch many URLs, on uvloop. One ClientSession whose TCPConnector keeps at most --concurrency
connections; --concurrency workers drain a queue of --requests GETs of --url, each reading the
whole body. Prints one JSON line: {"requests", "bytes", "seconds", "req_per_s"}, timed from the
session's creation to the last response (interpreter start and imports excluded). Exits 1 if
any request failed or got a status other than 200.

Run it with Debian's /usr/bin/python3, which has python3-aiohttp and python3-uvloop (a pyenv
python3 may come first on PATH and lack them):
  /usr/bin/python3 tools/bench/python/fetch_aiohttp.py --url http://127.0.0.1:8080/1k
"""
import argparse
import asyncio
import json
import sys
import time

import aiohttp
import uvloop


async def worker(session, url, queue, totals):
    while True:
        try:
            queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        async with session.get(url) as response:
            body = await response.read()
            if response.status != 200:
                raise RuntimeError("%s answered %d" % (url, response.status))
        totals["requests"] += 1
        totals["bytes"] += len(body)


async def main(args):
    queue = asyncio.Queue()
    for i in range(args.requests):
        queue.put_nowait(i)
    totals = {"requests": 0, "bytes": 0}
    start = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session, args.url, queue, totals) for _ in range(args.concurrency)))
    seconds = time.perf_counter() - start
    totals.update(seconds=seconds, req_per_s=totals["requests"] / seconds)
    print(json.dumps(totals))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    if args.requests < 1 or args.concurrency < 1:
        sys.exit("fetch_aiohttp.py: --requests and --concurrency must be positive")
    uvloop.install()
    try:
        asyncio.run(main(args))
    except (aiohttp.ClientError, RuntimeError, OSError) as e:
        sys.exit("fetch_aiohttp.py: %s: %s" % (type(e).__name__, e))
