#!/usr/bin/python3
"""Echo benchmark: libactor-echo (--threads 1) against a raw Boost.Asio echo server (one io_context on
one thread) and a uvloop asyncio-streams server, in one run.

Each server is pinned to one core (taskset) and libactor-load to another. For each configuration
(connections x message size) and each repetition, every server is started afresh, warmed up for one
second, then loaded for --duration seconds; the server's CPU time over the measured run only
(utime + stime of all its threads, from /proc/PID/stat) is divided by the requests served. The
servers take turns within a repetition so that drift of the machine hits them alike. Medians of
--reps runs. Prints a table, the ratios issue 5 targets, and one JSON line with everything.

Run with Debian's python (it has python3-uvloop) from the repository root, on a Release build:
  cmake -S . -B build/rel -G Ninja -DCMAKE_BUILD_TYPE=Release
  cmake --build build/rel --target libactor-echo libactor-load bench_echo_asio_server
  /usr/bin/python3 tools/bench/echo_compare.py --build build/rel
"""
import argparse
import json
import os
import resource
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile

TICKS = os.sysconf("SC_CLK_TCK")
HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"  # Debian's: python3-uvloop is installed there, not in a pyenv python
SERVERS = ("libactor", "asio", "uvloop")
# (name, numerator server, denominator server, metric, target, True when higher is better)
TARGETS = (("cpu_per_req_vs_asio", "libactor", "asio", "cpu_us_per_req", 1.15, False),
           ("req_per_s_vs_asio", "libactor", "asio", "req_per_s", 0.95, True),
           ("req_per_s_vs_uvloop", "libactor", "uvloop", "req_per_s", 1.3, True))


def fail(message):
    sys.exit("echo_compare: " + message)


def cpu_seconds(pid):
    """utime + stime of the whole process (all threads), in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()  # the command name may contain spaces
    return (int(fields[11]) + int(fields[12])) / TICKS


def cores_busy_seconds(cores):
    """Busy time (all but idle and iowait, steal included) of the given cores, in seconds."""
    busy = 0
    with open("/proc/stat") as f:
        for line in f:
            name, *ticks = line.split()
            if name in ("cpu" + c for c in cores):
                ticks = [int(t) for t in ticks]
                busy += sum(ticks) - ticks[3] - ticks[4]
    return busy / TICKS


def children_cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class Server:
    """A server process pinned to one core; its port comes from its "listening on HOST:PORT" line."""

    def __init__(self, name, cmd, core):
        self.name = name
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(["taskset", "-c", core] + cmd, stdout=subprocess.PIPE, stderr=self.stderr,
                                     text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        line = self.proc.stdout.readline() if ready else ""
        if " listening on " not in line:
            self.proc.kill()
            self.proc.wait()
            fail("%s did not start (%s): stdout %r, stderr %r" % (name, " ".join(cmd), line, self.errors()))
        self.port = int(line.strip().rsplit(":", 1)[1])

    def errors(self):
        self.stderr.seek(0)
        return self.stderr.read()[-2000:]

    def stop(self):
        """SIGTERM, then the server must exit 0 within 10 s."""
        if self.proc.poll() is not None:
            fail("%s died during the run (exit %s): %s" % (self.name, self.proc.returncode, self.errors()))
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            fail("%s did not exit within 10 s of SIGTERM" % self.name)
        if code != 0:
            fail("%s exited %d after SIGTERM: %s" % (self.name, code, self.errors()))


def load(args, port, conns, size, seconds):
    cmd = ["taskset", "-c", args.load_core, args.load, "echo", "--host", "127.0.0.1", "--port", str(port),
           "--connections", str(conns), "--size", str(size), "--duration", str(seconds)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        fail("libactor-load did not finish within %s s: %s" % (seconds + 60, " ".join(cmd)))
    try:
        result = json.loads(out.stdout)
    except ValueError:
        fail("libactor-load printed no JSON (exit %d): stdout %r, stderr %r"
             % (out.returncode, out.stdout[-500:], out.stderr[-2000:]))
    if out.returncode != 0 or result.get("errors") or not result.get("requests"):
        fail("libactor-load failed (exit %d, %s errors, %s requests): %s"
             % (out.returncode, result.get("errors"), result.get("requests"), out.stderr[-2000:]))
    return result


def run_once(args, name, cmd, conns, size):
    server = Server(name, cmd, args.server_core)
    try:
        load(args, server.port, conns, size, min(1.0, args.duration))  # warm-up: connections, caches, allocator
        cores = (args.server_core, args.load_core)
        before, load_before = cpu_seconds(server.proc.pid), children_cpu_seconds()
        busy_before = cores_busy_seconds(cores)
        r = load(args, server.port, conns, size, args.duration)
        cpu = cpu_seconds(server.proc.pid) - before
        load_cpu = children_cpu_seconds() - load_before
        # What else ran on the two cores (other processes, and softirq time of loopback TCP, charged to nobody).
        other = cores_busy_seconds(cores) - busy_before - cpu - load_cpu
    finally:
        server.stop()
    return {"req_per_s": r["req_per_s"], "cpu_us_per_req": cpu * 1e6 / r["requests"],
            "server_cpu_pct": 100 * cpu / r["seconds"], "load_cpu_pct": 100 * load_cpu / r["seconds"],
            "other_cpu_pct": 100 * max(other, 0) / r["seconds"],
            "p50_us": r["latency_us"]["p50"], "p99_us": r["latency_us"]["p99"], "requests": r["requests"]}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build/rel", help="CMake build directory (Release)")
    p.add_argument("--duration", type=float, default=5, help="seconds of each measured run")
    p.add_argument("--reps", type=int, default=3, help="runs per server and configuration (median)")
    p.add_argument("--configs", default="100x1024,10x1024,1x1024",
                   help="CONNECTIONSxSIZE, comma-separated")
    p.add_argument("--cores", default="0,1", help="server core,load generator core")
    p.add_argument("--max-other", type=float, default=25,
                   help="warn when other work (other processes, loopback softirq) took more than this %% of a core")
    p.add_argument("--servers", default=",".join(SERVERS), help="subset of " + ",".join(SERVERS))
    args = p.parse_args()
    try:
        args.server_core, args.load_core = args.cores.split(",")
        args.configs = [tuple(int(x) for x in c.split("x")) for c in args.configs.split(",")]
        assert all(len(c) == 2 and min(c) > 0 for c in args.configs)
    except (ValueError, AssertionError):
        fail("--cores is SERVER,LOAD and --configs is like 100x1024,10x1024")
    args.servers = args.servers.split(",")
    if not set(args.servers) <= set(SERVERS) or args.duration <= 0 or args.reps < 1:
        fail("--servers takes names among %s; --duration and --reps must be positive" % ",".join(SERVERS))
    return args


def commands(args):
    """Each server's command line, after checking that every program exists."""
    b = os.path.abspath(args.build)
    args.load = os.path.join(b, "tools/load/libactor-load")
    cmds = {"libactor": [os.path.join(b, "services/echo/libactor-echo"), "--port", "0", "--threads", "1",
                         "--log-level", "warn"],
            "asio": [os.path.join(b, "tools/bench/bench_echo_asio_server"), "--port", "0"],
            "uvloop": [PYTHON, os.path.join(HERE, "python/echo_uvloop.py"), "--port", "0"]}
    if not shutil.which("taskset"):
        fail("taskset not found (util-linux)")
    for core in (args.server_core, args.load_core):
        if not core.isdigit() or int(core) not in os.sched_getaffinity(0):
            fail("core %s is not available here (cores: %s)" % (core, sorted(os.sched_getaffinity(0))))
    needed = [args.load] + [cmds[s][0] for s in args.servers if s != "uvloop"]
    for path in needed:
        if not os.access(path, os.X_OK):
            fail("missing %s: build it in the Release tree first:\n  cmake --build %s --target libactor-echo "
                 "libactor-load bench_echo_asio_server" % (path, args.build))
    if "uvloop" in args.servers and subprocess.run([PYTHON, "-c", "import uvloop"], capture_output=True).returncode:
        fail("%s cannot import uvloop (apt-get install python3-uvloop)" % PYTHON)
    return {s: cmds[s] for s in args.servers}


def main():
    args = parse_args()
    servers = commands(args)
    results = {}
    noisy = False
    print("%-10s %-9s %10s %11s %9s %9s %9s %8s %8s" % ("config", "server", "req/s", "CPU us/req", "srv CPU%",
                                                         "load CPU%", "other%", "p50 us", "p99 us"), flush=True)
    for conns, size in args.configs:
        config = "%dx%d" % (conns, size)
        runs = {name: [] for name in servers}
        for _ in range(args.reps):
            for name, cmd in servers.items():
                runs[name].append(run_once(args, name, cmd, conns, size))
        results[config] = {}
        for name in servers:
            m = {k: statistics.median(r[k] for r in runs[name]) for k in runs[name][0]}
            m["runs"] = runs[name]
            results[config][name] = m
            print("%-10s %-9s %10.0f %11.2f %9.0f %9.0f %9.0f %8.0f %8.0f" % (config, name, m["req_per_s"],
                  m["cpu_us_per_req"], m["server_cpu_pct"], m["load_cpu_pct"], m["other_cpu_pct"], m["p50_us"],
                  m["p99_us"]))
            if max(r["other_cpu_pct"] for r in runs[name]) > args.max_other:
                noisy = True
        ratios = {}
        for key, num, den, metric, target, higher in TARGETS:
            if num in servers and den in servers:
                value = results[config][num][metric] / results[config][den][metric]
                ok = value >= target if higher else value <= target
                ratios[key] = {"value": value, "target": target, "met": ok}
                print("%-10s   %-21s %5.2f  (target %s %.2f) %s" % (config, key, value, ">=" if higher else "<=",
                                                                   target, "ok" if ok else "MISSED"))
        results[config]["ratios"] = ratios
        # Closed loop: when libactor-load saturates its core, every server gets what the load can send.
        bound = [name for name in servers if results[config][name]["load_cpu_pct"] > 90]
        results[config]["load_bound"] = bound
        if bound:
            print("%-10s   note: libactor-load used >90%% of its core against %s: req/s there measures the load "
                  "generator, not the server; compare CPU us/req" % (config, ", ".join(bound)))
        sys.stdout.flush()
    if noisy:
        print("WARNING: in some runs more than %d%% of a core went to other work on cores %s (column other%%):"
              " the machine was not quiet, the numbers are not comparable" % (args.max_other, args.cores))
    print(json.dumps({"benchmark": "echo", "duration_s": args.duration, "reps": args.reps, "noisy": noisy,
                      "cores": {"server": args.server_core, "load": args.load_core}, "results": results}))


if __name__ == "__main__":
    main()
