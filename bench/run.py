#!/usr/bin/env python3
"""hookd's benchmark driver: starts `hookd serve` (release build) on SQLite or PostgreSQL, drives
it from outside with `whbench` (../shared/tools/whbench: publishes through the Svix API to a
local sink that checks every signature), samples the server's memory, and prints one line per
scenario plus a JSON file with every figure.

    python3 bench/run.py                      # the full SQLite + PostgreSQL table
    python3 bench/run.py --only sqlite-e1     # one scenario
    python3 bench/run.py --smoke              # a few hundred messages; fails on any missing
                                              # delivery or bad signature (CI runs this)

Nothing here is a test of correctness beyond the smoke assertions: figures depend on the
machine. The README's performance table is copied from a run of this script.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WHBENCH_MANIFEST = os.path.join(ROOT, "..", "shared", "tools", "whbench", "Cargo.toml")
PG_ADMIN = os.environ.get("HOOKD_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def target_dir():
    return os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))


def build(profile):
    """Builds hookd and whbench, unless HOOKD_BIN and WHBENCH_BIN name ready binaries."""
    if os.environ.get("HOOKD_BIN") and os.environ.get("WHBENCH_BIN"):
        return os.environ["HOOKD_BIN"], os.environ["WHBENCH_BIN"]
    flag = ["--release"] if profile == "release" else []
    subprocess.run(["cargo", "build", "--locked", "--bin", "hookd", *flag], cwd=ROOT, check=True)
    wb_target = os.path.join(target_dir(), "whbench")
    subprocess.run(["cargo", "build", *flag, "--manifest-path", WHBENCH_MANIFEST, "--target-dir", wb_target],
                   cwd=ROOT, check=True)
    return (os.path.join(target_dir(), profile, "hookd"), os.path.join(wb_target, profile, "whbench"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(sql, url=PG_ADMIN):
    subprocess.run(["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, capture_output=True)


class Server:
    """One `hookd serve` process."""

    def __init__(self, binary, backend, name="hookd", env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--allowed-networks", "127.0.0.0/8"]
        args += ["--database-url", backend] if backend.startswith("postgres") else ["--data-dir", backend]
        full_env = dict(os.environ, HOOKD_LOG="warn", HOOKD_NODE_NAME=name, **(env or {}))
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=full_env)
        self.token = None
        expect = False
        for line in self.proc.stdout:
            line = line.strip()
            if expect:
                self.token, expect = line, False
            elif "shown only this once" in line:
                expect = True
            elif "listening on" in line:
                break

    def rss_kb(self, field="VmRSS"):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def quantile(sorted_values, q):
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, int(round(q * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def whbench(wb, server, token, args):
    """Runs whbench and adds p99.9 of the end-to-end first arrival, computed from its timeline
    (whbench's own summary stops at p99)."""
    with tempfile.NamedTemporaryFile(suffix=".csv") as timeline:
        cmd = [wb, "--api", server.url, "--token", token, "--timeline", timeline.name, *args]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            sys.stderr.write(out.stderr[-4000:])
            raise SystemExit(f"whbench failed: {' '.join(args)}")
        result = json.loads(out.stdout)
        e2e = []
        with open(timeline.name) as f:
            next(f)
            for row in f:
                seq, endpoint, sent, acked, first, delivered, attempts = row.strip().split(",")
                if int(sent) and int(first):
                    e2e.append((int(first) - int(sent)) / 1000.0)
        e2e.sort()
        result.setdefault("e2e_first_arrival_ms", {})["p999"] = quantile(e2e, 0.999)
    return result


SCENARIOS = {
    # name: whbench arguments (the README's table rows)
    "e1": ["--endpoints", "1", "--messages", "20000", "--concurrency", "64"],
    "e10": ["--endpoints", "10", "--messages", "2000", "--concurrency", "64"],
    "e100": ["--endpoints", "100", "--messages", "300", "--concurrency", "64"],
    "rate500": ["--endpoints", "1", "--messages", "5000", "--rate", "500", "--concurrency", "128"],
    "rate2000": ["--endpoints", "1", "--messages", "20000", "--rate", "2000", "--concurrency", "128"],
    "fail10": ["--endpoints", "1", "--messages", "5000", "--concurrency", "64", "--fail-ratio", "0.1"],
}
SMOKE = ["--endpoints", "3", "--messages", "300", "--concurrency", "16", "--grace-ms", "500"]


def summarize(name, result, rss=None):
    p, d = result["publish"], result["delivery"]
    e2e = result.get("e2e_first_arrival_ms", {})
    line = (f"{name:24} publish {p['throughput_msgs_per_s']:>8.0f}/s p50 {p['latency_ms']['p50']:>6.1f} p99 {p['latency_ms']['p99']:>7.1f} | "
            f"deliver {d['throughput_per_s']:>8.0f}/s e2e p50 {e2e.get('p50', 0):>6.1f} p99 {e2e.get('p99', 0):>7.1f} p99.9 {e2e.get('p999', 0):>7.1f} | "
            f"missing {d['missing']} dup {d['duplicates']} badsig {d['bad_signatures']}")
    if rss:
        line += f" | rss {rss} kB"
    print(line, flush=True)


def run_backend(label, binary, wb, make_backend, processes, names, results):
    backend, cleanup = make_backend()
    servers = []
    try:
        servers = [Server(binary, backend, name=f"{label}-{i}") for i in range(processes)]
        token = next(s.token for s in servers if s.token)
        time.sleep(1.0)  # let start-up settle before reading idle memory; not synchronisation
        idle = [s.rss_kb() for s in servers]
        results[f"{label}-idle-rss-kb"] = idle
        print(f"{label:24} idle RSS {idle} kB", flush=True)
        for name in names:
            r = whbench(wb, servers[0], token, SCENARIOS[name] + ["--label", f"{label}-{name}"])
            peak = [s.rss_kb("VmHWM") for s in servers]
            r["server_peak_rss_kb"] = peak
            results[f"{label}-{name}"] = r
            summarize(f"{label}-{name}", r, peak)
    finally:
        for s in servers:
            s.stop()
        cleanup()


def sqlite_backend():
    d = tempfile.mkdtemp(prefix="hookd-bench-")
    return d, lambda: shutil.rmtree(d, ignore_errors=True)


def pg_backend():
    name = f"hookd_bench_{os.getpid()}_{free_port()}"
    psql(f"CREATE DATABASE {name}")
    base = PG_ADMIN.rsplit("/", 1)[0]
    return f"{base}/{name}", lambda: psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--only", nargs="*", help="backend-scenario names, e.g. sqlite-e1 pg3-e10")
    ap.add_argument("--out", default=os.path.join(ROOT, "target", "bench-results.json"))
    args = ap.parse_args()

    if args.smoke:
        binary, wb = build("debug")
        backend, cleanup = sqlite_backend()
        server = Server(binary, backend)
        try:
            r = whbench(wb, server, server.token, SMOKE + ["--label", "smoke"])
        finally:
            server.stop()
            cleanup()
        summarize("smoke", r)
        d = r["delivery"]
        ok = d["missing"] == 0 and d["bad_signatures"] == 0 and d["delivered"] == d["expected"]
        print(f"{1 if ok else 0} passed, {0 if ok else 1} failed")
        sys.exit(0 if ok else 1)

    binary, wb = build("release")
    results = {}
    plan = [
        ("sqlite", sqlite_backend, 1),
        ("pg1", pg_backend, 1),
        ("pg3", pg_backend, 3),
    ]
    for label, make, procs in plan:
        names = [n for n in SCENARIOS if not args.only or f"{label}-{n}" in args.only]
        if names:
            run_backend(label, binary, wb, make, procs, names, results)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=2)
    print(f"figures written to {args.out}")


if __name__ == "__main__":
    main()
