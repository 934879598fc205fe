#!/usr/bin/python3
"""HTTP client benchmark: libactor-fetch against wrk (-t1 -c100) and against aiohttp on uvloop, in one run,
all getting a 1 KiB static file from a local nginx (one worker, keep-alive, no access log).

nginx is pinned to one core and each client in turn to the other (taskset). libactor-fetch gets a file
of --requests copies of the URL with --concurrency 100 (stdout to /dev/null) and its req/s is requests
/ wall time of the whole process (start-up included, so its ratios are if anything understated);
aiohttp (tools/bench/python/fetch_aiohttp.py: one ClientSession, TCPConnector(limit=100), 100 workers)
does the same GETs and times itself from the session's creation; wrk is time-based (--wrk-duration
seconds) and reports its own req/s. Each client's CPU time (utime + stime of its whole process, start-up
included, from the kernel's child accounting) is divided by its requests; the CPU% columns are shares
of the client process's lifetime. Before the measured runs, one libactor-fetch run is checked:
exit code 0 and one JSON line per request, each status 200 with 1024 bytes. The clients take turns
within a repetition so that drift of the machine hits them alike; medians of --reps repetitions.
Prints a table, the ratios issue 6 targets, and one JSON line with everything.

Run with Debian's python (it has python3-aiohttp and python3-uvloop) from the repository root, on a
Release build:
  cmake -S . -B build/rel -G Ninja -DCMAKE_BUILD_TYPE=Release
  cmake --build build/rel --target libactor-fetch
  /usr/bin/python3 tools/bench/fetch_compare.py --build build/rel
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from echo_compare import PYTHON, TICKS, children_cpu_seconds, cores_busy_seconds, cpu_seconds  # noqa: E402

NGINX = "/usr/sbin/nginx"
CLIENTS = ("libactor-fetch", "wrk", "aiohttp")
BODY_SIZE = 1024
# (name, numerator client, denominator client, metric, target, True when higher is better)
TARGETS = (("req_per_s_vs_wrk", "libactor-fetch", "wrk", "req_per_s", 0.7, True),
           ("req_per_s_vs_aiohttp", "libactor-fetch", "aiohttp", "req_per_s", 7.0, True))


def fail(message):
    sys.exit("fetch_compare: " + message)


def cores_softirq_seconds(cores):
    """Softirq time of the given cores, in seconds: on loopback, mostly TCP's receive path, charged to no process."""
    with open("/proc/stat") as f:
        return sum(int(line.split()[7]) for line in f if line.split()[0] in ("cpu" + c for c in cores)) / TICKS


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid):
    """The pids whose parent is `pid` (nginx's worker)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass  # the process ended meanwhile
    return found


class Nginx:
    """nginx (daemon off, one worker) in a temporary prefix, pinned to one core, stopped by its PID."""

    def __init__(self, core):
        self.prefix = tempfile.mkdtemp(prefix="fetch_compare.")
        os.chmod(self.prefix, 0o755)  # run as root, nginx's worker is "nobody": it must read www/
        os.mkdir(os.path.join(self.prefix, "www"), 0o755)
        with open(os.path.join(self.prefix, "www", "1k"), "wb") as f:
            f.write(bytes(ord("a") + i % 26 for i in range(BODY_SIZE)))
        self.port = free_port()
        with open(os.path.join(HERE, "nginx_bench.conf.in")) as f:
            conf = f.read().replace("@PREFIX@", self.prefix).replace("@PORT@", str(self.port))
        self.conf = os.path.join(self.prefix, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.url = "http://127.0.0.1:%d/1k" % self.port
        self.proc = subprocess.Popen(["taskset", "-c", core, NGINX, "-p", self.prefix, "-c", self.conf,
                                      "-e", os.path.join(self.prefix, "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.workers = []
        deadline = time.monotonic() + 10
        while not (self.workers and self.accepting()):  # bounded poll for the worker and the socket: 10 s
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                fail("nginx did not start on port %d: %s" % (self.port, self.errors()))
            time.sleep(0.05)
            self.workers = children_of(self.proc.pid)

    def accepting(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def cpu_seconds(self):
        """The master's and the worker's CPU time."""
        return sum(cpu_seconds(pid) for pid in [self.proc.pid] + self.workers)

    def errors(self):
        try:
            with open(os.path.join(self.prefix, "error.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return "(no error.log)"

    def stop(self):
        """SIGQUIT (graceful shutdown) to the master's PID; it must exit within 10 s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.prefix, ignore_errors=True)


def run_client(args, cmd, timeout, stdout=subprocess.DEVNULL):
    """Runs one client pinned to the client core; returns (completed process, wall s, CPU s)."""
    cpu_before, start = children_cpu_seconds(), time.perf_counter()
    try:
        out = subprocess.run(["taskset", "-c", args.client_core] + cmd, stdout=stdout, stderr=subprocess.PIPE,
                             text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        fail("%s did not finish within %d s" % (" ".join(cmd), timeout))
    return out, time.perf_counter() - start, children_cpu_seconds() - cpu_before


def fetch_command(args):
    cmd = [args.fetch, "-i", args.url_file, "--concurrency", str(args.concurrency), "--no-progress"]
    if args.fetch_threads:
        cmd += ["--threads", str(args.fetch_threads)]
    return cmd


def check_fetch(args):
    """One unmeasured run of libactor-fetch whose output is checked line by line (also the warm-up)."""
    with tempfile.TemporaryFile(mode="w+") as lines:
        out, _, _ = run_client(args, fetch_command(args), 600, stdout=lines)
        if out.returncode != 0:
            fail("libactor-fetch exited %d: %s" % (out.returncode, out.stderr[-2000:]))
        lines.seek(0)
        results = [json.loads(line) for line in lines if line.strip()]
    if len(results) != args.requests:
        fail("libactor-fetch printed %d JSON lines for %d URLs" % (len(results), args.requests))
    bad = [r for r in results if r.get("status") != 200 or r.get("bytes") != BODY_SIZE or r.get("error")]
    if bad:
        fail("%d of libactor-fetch's results are not 200 with %d bytes, e.g. %s" % (len(bad), BODY_SIZE, bad[0]))


def measure(args, name, url):
    """One measured run of one client: {requests, seconds (the client's own timing), cpu, wall (its process's)}."""
    if name == "libactor-fetch":
        out, wall, cpu = run_client(args, fetch_command(args), 600)
        if out.returncode != 0:
            fail("libactor-fetch exited %d: %s" % (out.returncode, out.stderr[-2000:]))
        return {"requests": args.requests, "seconds": wall, "cpu": cpu, "wall": wall}
    if name == "aiohttp":
        cmd = [PYTHON, os.path.join(HERE, "python/fetch_aiohttp.py"), "--url", url,
               "--requests", str(args.requests), "--concurrency", str(args.concurrency)]
        out, wall, cpu = run_client(args, cmd, 600, stdout=subprocess.PIPE)
        try:
            r = json.loads(out.stdout)
        except ValueError:
            r = {}
        if out.returncode != 0 or r.get("requests") != args.requests:
            fail("fetch_aiohttp.py failed (exit %d): %s %s" % (out.returncode, out.stdout[-500:], out.stderr[-2000:]))
        return {"requests": r["requests"], "seconds": r["seconds"], "cpu": cpu, "wall": wall}
    cmd = ["wrk", "-t1", "-c%d" % args.concurrency, "-d%gs" % args.wrk_duration, url]
    out, wall, cpu = run_client(args, cmd, args.wrk_duration + 60, stdout=subprocess.PIPE)
    requests = re.search(r"^\s*(\d+) requests in ([\d.]+)(ms|s|m)", out.stdout, re.M)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out.stdout)
    if out.returncode != 0 or not requests or errors:
        fail("wrk failed (exit %d): %s %s" % (out.returncode, out.stdout[-1000:], out.stderr[-1000:]))
    seconds = float(requests.group(2)) * {"ms": 0.001, "s": 1, "m": 60}[requests.group(3)]
    return {"requests": int(requests.group(1)), "seconds": seconds, "cpu": cpu, "wall": wall}


def run_once(args, nginx, name):
    cores = (args.server_core, args.client_core)
    server_before, busy_before = nginx.cpu_seconds(), cores_busy_seconds(cores)
    softirq_before = cores_softirq_seconds(cores)
    r = measure(args, name, nginx.url)
    server = nginx.cpu_seconds() - server_before
    softirq = cores_softirq_seconds(cores) - softirq_before
    # What else ran on the two cores: other processes (and hard irqs); softirq, the loopback's
    # TCP work for both ends, is a column of its own.
    other = cores_busy_seconds(cores) - busy_before - server - r["cpu"] - softirq
    # CPU shares are over the client process's whole life, the window in which they were measured.
    w = r["wall"]
    return {"req_per_s": r["requests"] / r["seconds"], "cpu_us_per_req": r["cpu"] * 1e6 / r["requests"],
            "client_cpu_pct": 100 * r["cpu"] / w, "server_cpu_pct": 100 * server / w,
            "softirq_cpu_pct": 100 * softirq / w, "other_cpu_pct": 100 * max(other, 0) / w,
            "requests": r["requests"], "seconds": r["seconds"]}


COLUMNS = (("req/s", "req_per_s", "%10.0f"), ("CPU us/req", "cpu_us_per_req", "%11.2f"),
           ("client CPU%", "client_cpu_pct", "%12.0f"), ("nginx CPU%", "server_cpu_pct", "%11.0f"),
           ("softirq%", "softirq_cpu_pct", "%9.0f"), ("other%", "other_cpu_pct", "%7.0f"))


def row(name, r):
    return "%-15s" % name + "".join(fmt % r[key] for _, key, fmt in COLUMNS)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build/rel", help="CMake build directory (Release)")
    p.add_argument("--requests", type=int, default=20000, help="GETs per libactor-fetch and aiohttp run")
    p.add_argument("--concurrency", type=int, default=100, help="requests in flight (wrk: connections)")
    p.add_argument("--wrk-duration", type=float, default=5, help="seconds of each wrk run")
    p.add_argument("--fetch-threads", type=int, default=1,
                   help="libactor-fetch --threads (0: its default); its core is one either way")
    p.add_argument("--reps", type=int, default=3, help="runs per client (median)")
    p.add_argument("--cores", default="0,1", help="nginx core,client core")
    p.add_argument("--max-other", type=float, default=25,
                   help="warn when other processes took more than this %% of a core")
    p.add_argument("--clients", default=",".join(CLIENTS), help="subset of " + ",".join(CLIENTS))
    args = p.parse_args()
    try:
        args.server_core, args.client_core = args.cores.split(",")
    except ValueError:
        fail("--cores is NGINX,CLIENT")
    args.clients = args.clients.split(",")
    if not set(args.clients) <= set(CLIENTS) or min(args.requests, args.concurrency, args.reps) < 1 \
            or args.wrk_duration <= 0 or args.fetch_threads < 0:
        fail("--clients takes names among %s; --requests, --concurrency, --reps and --wrk-duration must be "
             "positive" % ",".join(CLIENTS))
    return args


def check_programs(args):
    args.fetch = os.path.join(os.path.abspath(args.build), "services/fetch/libactor-fetch")
    for tool in ("taskset", "wrk"):
        if not shutil.which(tool):
            fail("%s not found (apt-get install %s)" % (tool, "util-linux" if tool == "taskset" else tool))
    if not os.access(NGINX, os.X_OK):
        fail("%s not found (apt-get install nginx-light)" % NGINX)
    for core in (args.server_core, args.client_core):
        if not core.isdigit() or int(core) not in os.sched_getaffinity(0):
            fail("core %s is not available here (cores: %s)" % (core, sorted(os.sched_getaffinity(0))))
    if "libactor-fetch" in args.clients and not os.access(args.fetch, os.X_OK):
        fail("missing %s: build it in the Release tree first:\n  cmake --build %s --target libactor-fetch"
             % (args.fetch, args.build))
    if "aiohttp" in args.clients and \
            subprocess.run([PYTHON, "-c", "import aiohttp, uvloop"], capture_output=True).returncode:
        fail("%s cannot import aiohttp and uvloop (apt-get install python3-aiohttp python3-uvloop)" % PYTHON)


def main():
    args = parse_args()
    check_programs(args)
    load_before = os.getloadavg()
    print("load average before the run: %.2f %.2f %.2f (%d cores)" % (load_before + (os.cpu_count(),)))
    nginx = Nginx(args.server_core)
    runs = {name: [] for name in args.clients}
    try:
        with tempfile.NamedTemporaryFile("w", prefix="fetch_compare.", suffix=".urls") as urls:
            urls.write((nginx.url + "\n") * args.requests)
            urls.flush()
            args.url_file = urls.name
            if "libactor-fetch" in args.clients:
                check_fetch(args)
            print("%-15s" % "client" + "".join(fmt.replace(".0f", "s").replace(".2f", "s") % title
                                               for title, _, fmt in COLUMNS), flush=True)
            for rep in range(args.reps):
                for name in args.clients:
                    r = run_once(args, nginx, name)
                    runs[name].append(r)
                    print(row(name, r) + "   (run %d)" % (rep + 1), flush=True)
    finally:
        nginx.stop()
    results = {}
    noisy = False
    print("medians of %d runs:" % args.reps)
    for name in args.clients:
        m = {k: statistics.median(r[k] for r in runs[name]) for k in runs[name][0]}
        m["runs"] = runs[name]
        results[name] = m
        print(row(name, m))
        noisy = noisy or max(r["other_cpu_pct"] for r in runs[name]) > args.max_other
    ratios = {}
    for key, num, den, metric, target, higher in TARGETS:
        if num in results and den in results:
            value = results[num][metric] / results[den][metric]
            ok = value >= target if higher else value <= target
            ratios[key] = {"value": value, "target": target, "met": ok}
            print("  %-21s %6.2f  (target %s %.2f) %s" % (key, value, ">=" if higher else "<=", target,
                                                          "ok" if ok else "MISSED"))
    # Closed loop: a client that saturates its core measures itself, not nginx; nginx at its core's
    # limit caps every client alike.
    bound = [name for name in results if results[name]["server_cpu_pct"] > 90]
    if bound:
        print("note: nginx used >90%% of its core against %s: req/s there is nginx's limit; compare CPU us/req"
              % ", ".join(bound))
    if noisy:
        print("WARNING: in some runs more than %d%% of a core went to other processes on cores %s (column other%%):"
              " the machine was not quiet, the numbers are not comparable" % (args.max_other, args.cores))
    print(json.dumps({"benchmark": "fetch", "requests": args.requests, "concurrency": args.concurrency,
                      "wrk_duration_s": args.wrk_duration, "reps": args.reps, "noisy": noisy,
                      "loadavg_before": load_before, "cores": {"nginx": args.server_core, "client": args.client_core},
                      "results": results, "ratios": ratios}))


if __name__ == "__main__":
    main()
