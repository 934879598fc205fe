"""The uvloop reference of the echo benchmark (tools/bench/echo_compare.py): asyncio streams, the way
the asyncio docs write an echo server, on uvloop. Prints "uvloop-echo listening on HOST:PORT" on
stdout and exits 0 on SIGINT/SIGTERM.

Run it with Debian's /usr/bin/python3, which has python3-uvloop (a pyenv python3 may come first on
PATH and lack it):   /usr/bin/python3 tools/bench/python/echo_uvloop.py --port 0
"""
import argparse
import asyncio
import signal

import uvloop


async def handle(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main(host, port):
    server = await asyncio.start_server(handle, host, port)
    name = server.sockets[0].getsockname()
    print("uvloop-echo listening on %s:%d" % (name[0], name[1]), flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7000, help="0 picks a free port")
    args = parser.parse_args()
    uvloop.install()
    asyncio.run(main(args.host, args.port))
