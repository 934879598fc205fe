#!/usr/bin/python3
"""Echo benchmark: libactor-echo against a raw Boost.Asio echo server and a uvloop streams server, in
one run. Each server is pinned to one core and libactor-load to another; for each configuration
(connections x message size) the load runs for --duration seconds after a one-second warm-up, and
the server's CPU time over the measured run (utime + stime from /proc) is divided by the requests.
Medians of --reps runs. Prints a table, the ratios the issue targets, and one JSON line.

  /usr/bin/python3 tools/bench/echo_compare.py --build build/rel
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def start(cmd, core):
    proc = subprocess.Popen(["taskset", "-c", core] + cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        sys.exit("server did not start: %s -> %r" % (" ".join(cmd), line))
    return proc, int(line.strip().rsplit(":", 1)[1])


def load(args, port, conns, size, seconds):
    out = subprocess.run(["taskset", "-c", args.cores.split(",")[1], args.load, "echo", "--port", str(port),
                          "--connections", str(conns), "--size", str(size), "--duration", str(seconds)],
                         capture_output=True, text=True)
    result = json.loads(out.stdout)
    if out.returncode != 0 or result["errors"]:
        sys.exit("load failed (%d errors): %s" % (result["errors"], out.stderr))
    return result


def measure(args, name, cmd, conns, size):
    runs = []
    for _ in range(args.reps):
        proc, port = start(cmd, args.cores.split(",")[0])
        try:
            load(args, port, conns, size, 1)  # warm-up
            before = cpu_seconds(proc.pid)
            r = load(args, port, conns, size, args.duration)
            cpu = cpu_seconds(proc.pid) - before
        finally:
            proc.send_signal(signal.SIGTERM)
            if proc.wait(timeout=30) not in (0, -signal.SIGTERM):
                sys.exit("%s did not stop cleanly" % name)
        runs.append({"req_per_s": r["req_per_s"], "cpu_us_per_req": cpu * 1e6 / r["requests"],
                     "p50_us": r["latency_us"]["p50"], "p99_us": r["latency_us"]["p99"]})
    return {k: statistics.median(run[k] for run in runs) for k in runs[0]}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build/rel")
    p.add_argument("--duration", type=float, default=5)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--configs", default="100x1024,10x1024,1x1024", help="connections x size, comma-separated")
    p.add_argument("--cores", default="0,1", help="server core, load generator core")
    args = p.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    args.load = os.path.join(args.build, "tools/load/libactor-load")
    servers = {
        "libactor": [os.path.join(args.build, "services/echo/libactor-echo"), "--port", "0", "--threads", "1",
                     "--log-level", "warn"],
        "asio": [os.path.join(args.build, "tools/bench/bench_echo_asio_server")],
        "uvloop": ["/usr/bin/python3", os.path.join(here, "python/echo_uvloop.py")],
    }
    for path in (args.load, servers["libactor"][0], servers["asio"][0]):
        if not os.access(path, os.X_OK):
            sys.exit("missing %s: build the Release tree first (cmake --build %s)" % (path, args.build))
    results = {}
    print("%-10s %-8s %12s %14s %9s %9s" % ("config", "server", "req/s", "CPU us/req", "p50 us", "p99 us"))
    for config in args.configs.split(","):
        conns, size = (int(x) for x in config.split("x"))
        results[config] = {}
        for name, cmd in servers.items():
            m = measure(args, name, cmd, conns, size)
            results[config][name] = m
            print("%-10s %-8s %12.0f %14.2f %9.0f %9.0f" % (config, name, m["req_per_s"], m["cpu_us_per_req"],
                                                           m["p50_us"], m["p99_us"]))
        la, asio, uv = (results[config][k] for k in ("libactor", "asio", "uvloop"))
        ratios = {"cpu_vs_asio": la["cpu_us_per_req"] / asio["cpu_us_per_req"],
                  "rps_vs_asio": la["req_per_s"] / asio["req_per_s"],
                  "rps_vs_uvloop": la["req_per_s"] / uv["req_per_s"]}
        results[config]["ratios"] = ratios
        print("%-10s ratios: CPU/req vs asio %.2fx (target <= 1.15), req/s vs asio %.2fx (>= 0.95), "
              "req/s vs uvloop %.2fx (>= 1.3)" % (config, ratios["cpu_vs_asio"], ratios["rps_vs_asio"],
                                                   ratios["rps_vs_uvloop"]))
    print(json.dumps({"benchmark": "echo", "duration_s": args.duration, "reps": args.reps, "results": results}))


if __name__ == "__main__":
    main()
