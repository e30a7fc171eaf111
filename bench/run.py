#!/usr/bin/env python3
"""hookd's benchmark driver: starts `hookd serve` (release build) on SQLite or PostgreSQL, drives
it from outside with `whbench` (../shared/tools/whbench: publishes through the Svix API to a
local sink that checks every signature), samples the server's memory, and prints one line per
scenario plus a JSON file with every figure.

    python3 bench/run.py                      # the full SQLite + PostgreSQL table
    python3 bench/run.py --only sqlite-e1     # one scenario
    python3 bench/run.py --only sqlite-backlog1m pg1-growth-history   # long scenarios (below)
    python3 bench/run.py --long               # the table and every long scenario (3+ hours)
    python3 bench/run.py --smoke              # a few hundred messages; fails on any missing
                                              # delivery or bad signature (CI runs this)

Long scenarios (sqlite-… and pg1-…; each on a fresh database): backlog100k and backlog1m
(server memory with a backlog of pending deliveries to an endpoint that is down),
growth-history and growth-backlog (the e1 and rate500 runs with 0, 100k and 1M rows already
in the tables), iso-healthy and iso-slow10 (1,000 endpoints, 10 of them slower than hookd's
timeout, against all healthy), and the same at a lighter rate (…-light). Every run records
the CPU that hookd, the harness and everything else used, because the machine is shared.

Nothing here is a test of correctness beyond the smoke assertions: figures depend on the
machine. The README's performance table is copied from a run of this script.
"""

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

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


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class CpuMeter:
    """CPU used during a run, in cores: the whole machine, the hookd processes, this script and
    its children (whbench), and everything else. On a shared machine the last figure says how
    quiet the run was (it includes PostgreSQL for the PostgreSQL backends)."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, servers, backend=""):
        self.servers = servers
        # PostgreSQL's backends for the bench database name it in their process titles.
        self.db = backend.rsplit("/", 1)[1] if backend.startswith("postgres") else None
        self.start = self.read()

    @staticmethod
    def ticks(pid):
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read().rsplit(")", 1)[1].split()
        return int(stat[11]) + int(stat[12])

    def postgres_ticks(self):
        """CPU of the PostgreSQL backends serving the bench database (those alive now: a
        backend that ended during the run is missed, hookd's pooled ones live throughout)."""
        total = 0
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if self.db.encode() not in f.read():
                        continue
                total += self.ticks(pid)
            except OSError:
                pass
        return total

    def read(self):
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        busy = sum(fields) - fields[3] - fields[4]  # all but idle and iowait
        hookd = 0
        for s in self.servers:
            try:
                hookd += self.ticks(s.proc.pid)
            except OSError:
                pass
        me = os.times()
        bench = (me.user + me.system + me.children_user + me.children_system) * self.TICK
        pg = self.postgres_ticks() if self.db else 0
        return time.monotonic(), busy, hookd, bench, pg

    def stop(self):
        t1, busy1, hookd1, bench1, pg1 = self.read()
        t0, busy0, hookd0, bench0, pg0 = self.start
        secs = max(t1 - t0, 1e-9) * self.TICK
        total, hookd, bench = (busy1 - busy0) / secs, (hookd1 - hookd0) / secs, (bench1 - bench0) / secs
        pg = max(0, pg1 - pg0) / secs
        out = {"machine_cores": round(total, 2), "hookd_cores": round(hookd, 2), "bench_cores": round(bench, 2),
               "others_cores": round(max(0.0, total - hookd - bench - pg), 2), "load": load()}
        if self.db:
            out["postgres_cores"] = round(pg, 2)
        return out


def quantile(sorted_values, q):
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, int(round(q * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def whbench(wb, server, token, args, timeline=True):
    """Runs whbench and adds p99.9 of the end-to-end first arrival of the healthy endpoints,
    computed from its timeline (whbench's own summary stops at p99). `timeline=False` skips
    the timeline (for runs that only fill the tables)."""
    slow = int(args[args.index("--slow-endpoints") + 1]) if "--slow-endpoints" in args else 0
    with tempfile.NamedTemporaryFile(suffix=".csv") as timeline_file:
        extra = ["--timeline", timeline_file.name] if timeline else []
        cmd = [wb, "--api", server.url, "--token", token, *extra, *args]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            sys.stderr.write(out.stderr[-4000:])
            raise SystemExit(f"whbench failed: {' '.join(args)}")
        result = json.loads(out.stdout)
        if not timeline:
            return result
        e2e = []
        with open(timeline_file.name) as f:
            next(f)
            for row in f:
                seq, endpoint, sent, acked, first, delivered, attempts = row.strip().split(",")
                # The first `--slow-endpoints` endpoints are the slow ones; whbench's own
                # percentiles leave them out, and so does this one.
                if int(endpoint) >= slow and int(sent) and int(first):
                    e2e.append((int(first) - int(sent)) / 1000.0)
        e2e.sort()
        result.setdefault("e2e_first_arrival_ms", {})["p999"] = quantile(e2e, 0.999)
    return result


SCENARIOS = {
    # name: whbench arguments (the README's table rows)
    "e1": ["--endpoints", "1", "--messages", "20000", "--concurrency", "64"],
    # e1 exactly as ../shared/reference/anchors.md measured Svix: without the timeline that
    # the other runs write for their p99.9 (writing it costs whbench CPU on the shared cores).
    "e1plain": ["--endpoints", "1", "--messages", "20000", "--concurrency", "64"],
    "e10": ["--endpoints", "10", "--messages", "2000", "--concurrency", "64"],
    "e100": ["--endpoints", "100", "--messages", "300", "--concurrency", "64"],
    "rate500": ["--endpoints", "1", "--messages", "5000", "--rate", "500", "--concurrency", "128"],
    "rate2000": ["--endpoints", "1", "--messages", "20000", "--rate", "2000", "--concurrency", "128"],
    "fail10": ["--endpoints", "1", "--messages", "5000", "--concurrency", "64", "--fail-ratio", "0.1"],
}
# Scenarios run without whbench's timeline (so without p99.9).
NO_TIMELINE = {"e1plain"}
SMOKE = ["--endpoints", "3", "--messages", "300", "--concurrency", "16", "--grace-ms", "500"]


def summarize(name, result, rss=None):
    p, d = result["publish"], result["delivery"]
    e2e = result.get("e2e_first_arrival_ms", {})
    p999 = f"{e2e['p999']:.1f}" if "p999" in e2e else "-"
    line = (f"{name:24} publish {p['throughput_msgs_per_s']:>8.0f}/s p50 {p['latency_ms']['p50']:>6.1f} p99 {p['latency_ms']['p99']:>7.1f} | "
            f"deliver {d['throughput_per_s']:>8.0f}/s e2e p50 {e2e.get('p50', 0):>6.1f} p99 {e2e.get('p99', 0):>7.1f} p99.9 {p999:>7} | "
            f"missing {d['missing']} dup {d['duplicates']} badsig {d['bad_signatures']}")
    if rss:
        line += f" | rss {rss} kB"
    if result.get("cpu"):
        c = result["cpu"]
        pg = f" postgres {c['postgres_cores']}" if "postgres_cores" in c else ""
        line += f" | cpu hookd {c['hookd_cores']}{pg} bench {c['bench_cores']} others {c['others_cores']} load {c['load']}"
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
            cpu = CpuMeter(servers, backend)
            r = whbench(wb, servers[0], token, SCENARIOS[name] + ["--label", f"{label}-{name}"],
                        timeline=name not in NO_TIMELINE)
            r["cpu"] = cpu.stop()
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


def pg_setting(name):
    return subprocess.run(["psql", PG_ADMIN, "-Atc", f"SHOW {name}"], capture_output=True, text=True).stdout.strip()


class Autovacuum(threading.Thread):
    """Stands in for autovacuum when the server has it off (the bench machine's PostgreSQL
    does): `VACUUM ANALYZE` of the bench database once a minute, autovacuum's default naptime.
    Without statistics, plans that PostgreSQL made while the tables were empty stay cached in
    hookd's connections however large the tables grow (see the README's Performance notes)."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.stopped, self.passes = url, threading.Event(), 0

    def run(self):
        while not self.stopped.wait(60):
            subprocess.run(["psql", self.url, "-q", "-c", "VACUUM ANALYZE"], capture_output=True)
            self.passes += 1

    def stop(self):
        self.stopped.set()


def pg_backend():
    name = f"hookd_bench_{os.getpid()}_{free_port()}"
    psql(f"CREATE DATABASE {name}")
    base = PG_ADMIN.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    vacuum = None
    if pg_setting("autovacuum") == "off":
        vacuum = Autovacuum(url)
        vacuum.start()

    def cleanup():
        if vacuum:
            vacuum.stop()
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    return url, cleanup


# --- Long scenarios (run only when named with --only, or with --long) -------------------------
#
# backlog100k / backlog1m: memory with a backlog of pending deliveries to an endpoint that is
#   down. Phase "building": N messages are published through the API while the endpoint's
#   address accepts connections and never answers (every worker slot waits out the 15 s
#   timeout). Phase "holding": 20 s with the whole backlog pending. Phase "churning": the
#   endpoint's URL is switched to a closed port, so every attempt fails at once and the
#   workers go through the backlog as fast as they can, retrying each delivery 1 s after it
#   failed (the endpoint's retryPolicy), for 60 s.
# growth-history / growth-backlog: the e1 and rate500 runs on tables already holding 0, 100k
#   and 1M messages: delivered ones (deliveries succeeded, one attempt each; filled by whbench
#   with --keep-app) or a backlog (one failed attempt each, the next retry parked a week ahead
#   by the endpoint's retryPolicy; filled through the API). Prints the claim query's plan.
# iso-healthy / iso-slow10: 1,000 endpoints at a paced rate, all healthy or 10 of them answering
#   only after 40 s (past hookd's 15 s timeout).

BACKLOG_SIZES = {"backlog100k": 100_000, "backlog300k": 300_000, "backlog1m": 1_000_000, "backlog3m": 3_000_000}
GROWTH_STEPS = [0, 100_000, 1_000_000]
GROWTH_RUNS = ["e1", "rate500"]
GROWTH_REPEATS = 3  # each run three times per step, to tell growth from noise
# 2 messages/s is 2,000 deliveries/s (about half of what one process delivers); 0.5/s is light
# enough that the slow endpoints' attempts (each holding a worker slot for the 15 s timeout,
# first attempt and the 5 s retry) need about 150 of the 256 slots.
ISO_FLAGS = ["--endpoints", "1000", "--concurrency", "16", "--timeout-s", "600"]
SLOW_FLAGS = ["--slow-endpoints", "10", "--slow-ms", "40000"]
ISOLATION = {
    "iso-healthy": ISO_FLAGS + ["--messages", "120", "--rate", "2"],
    "iso-slow10": ISO_FLAGS + ["--messages", "120", "--rate", "2"] + SLOW_FLAGS,
    "iso-healthy-light": ISO_FLAGS + ["--messages", "40", "--rate", "0.5"],
    "iso-slow10-light": ISO_FLAGS + ["--messages", "40", "--rate", "0.5"] + SLOW_FLAGS,
}
LONG = [*BACKLOG_SIZES, "growth-history", "growth-backlog", *ISOLATION]
# Every attempt retried 1 s after it failed, for as long as the run lasts.
CHURN_POLICY = {"type": "fixed", "baseSecs": 1, "maxAttempts": 100}
# One attempt, then the next retry a week later: the backlog sits in the queue, not due.
PARKED_POLICY = {"type": "fixed", "baseSecs": 7 * 86400, "maxAttempts": 100}


class RssSampler(threading.Thread):
    """Samples the servers' memory every 200 ms and keeps the peak of each phase."""

    FIELDS = ("VmRSS", "RssAnon", "RssFile", "RssShmem")

    def __init__(self, servers):
        super().__init__(daemon=True)
        self.servers, self.phase, self.peaks, self.stopped = servers, "start", {}, threading.Event()
        self.lock = threading.Lock()
        self.series = []  # (seconds since start, phase, VmRSS kB) every 5 s
        self.started = time.monotonic()

    def sample(self):
        total = dict.fromkeys(self.FIELDS, 0)
        for s in self.servers:
            with open(f"/proc/{s.proc.pid}/status") as f:
                for line in f:
                    key = line.split(":")[0]
                    if key in total:
                        total[key] += int(line.split()[1])
        return total

    def run(self):
        while not self.stopped.wait(0.2):
            try:
                now = self.sample()
            except OSError:
                return
            with self.lock:
                peak = self.peaks.setdefault(self.phase, dict.fromkeys(self.FIELDS, 0))
                for k, v in now.items():
                    peak[k] = max(peak[k], v)
                peak["last_VmRSS"] = now["VmRSS"]
                elapsed = time.monotonic() - self.started
                if not self.series or elapsed - self.series[-1][0] >= 5:
                    self.series.append((round(elapsed, 1), self.phase, now["VmRSS"]))

    def mark(self, phase):
        with self.lock:
            self.phase = phase

    def stop(self):
        self.stopped.set()
        self.join()
        return self.peaks


def api(server, token, method, path, body=None):
    req = urllib.request.Request(server.url + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        text = r.read()
    return json.loads(text) if text else None


def publish_many(server, token, app_id, count, concurrency=64, payload_bytes=512):
    """Publishes `count` messages through the API from `concurrency` keep-alive connections
    (plain asyncio, no dependencies), retrying 429 and 503. Returns rate and latencies."""
    host, port = "127.0.0.1", server.port
    path = f"/api/v1/app/{app_id}/msg"
    pad = "x" * max(0, payload_bytes - 40)
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nContent-Length: ")
    state = {"next": 0, "ok": 0, "failed": 0, "first_error": None}
    latencies = []

    async def one_connection():
        reader = writer = None
        seq = None
        while True:
            if seq is None:
                if state["next"] >= count:
                    break
                seq, state["next"] = state["next"], state["next"] + 1
            body = json.dumps({"eventType": "bench.backlog", "payload": {"seq": seq, "pad": pad}}).encode()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                t = time.perf_counter()
                writer.write(f"{head}{len(body)}\r\n\r\n".encode() + body)
                status = int((await reader.readline()).split()[1])
                length = 0
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if length:
                    await reader.readexactly(length)
            except (OSError, IndexError, ValueError, asyncio.IncompleteReadError):
                writer = None  # reconnect and send the same message again
                await asyncio.sleep(0.05)
                continue
            if status in (429, 503):
                await asyncio.sleep(0.05)
                continue
            if status == 202:
                state["ok"] += 1
                latencies.append(time.perf_counter() - t)
            else:
                state["failed"] += 1
                state["first_error"] = state["first_error"] or status
            seq = None
        if writer is not None:
            writer.close()

    async def run():
        await asyncio.gather(*(one_connection() for _ in range(concurrency)))

    started = time.perf_counter()
    asyncio.run(run())
    secs = time.perf_counter() - started
    latencies.sort()
    return {"ok": state["ok"], "failed": state["failed"], "first_error": state["first_error"],
            "secs": round(secs, 1), "msgs_per_s": round(state["ok"] / secs, 1),
            "latency_ms": {"p50": round(quantile(latencies, 0.5) * 1000, 2),
                           "p99": round(quantile(latencies, 0.99) * 1000, 2)}}


def blackhole():
    """A socket that completes TCP handshakes (the kernel does) but never reads or answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(4096)
    return s


def closed_port():
    """A loopback port nothing listens on: connections are refused at once."""
    return free_port()


def db_counts(backend):
    """Row counts of the queue's tables, read from the database directly."""
    sql = ["SELECT 'messages', COUNT(*) FROM messages",
           "SELECT 'attempts', COUNT(*) FROM attempts",
           "SELECT 'deliveries_' || state, COUNT(*) FROM deliveries GROUP BY state"]
    if backend.startswith("postgres"):
        out = subprocess.run(["psql", backend, "-At", "-F", "\t", "-c", " UNION ALL ".join(sql)],
                             check=True, capture_output=True, text=True).stdout
        rows = [line.split("\t") for line in out.splitlines() if line]
    else:
        with sqlite3.connect(f"file:{os.path.join(backend, 'hookd.db')}?mode=ro", uri=True, timeout=30) as db:
            rows = [r for q in sql for r in db.execute(q)]
    return {k: int(v) for k, v in rows}


def claim_plan(backend):
    """The plan of the claim's pick (SQLite: crates/hookd-store-sqlite/src/queue.rs PICK_DUE_SQL;
    PostgreSQL: the `due` source of CLAIM_SQL, with actual row counts)."""
    now = int(time.time() * 1000)
    if backend.startswith("postgres"):
        q = ("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT msg_id, endpoint_id FROM deliveries "
             "WHERE state IN ('pending', 'retry_scheduled') AND next_attempt_at <= "
             f"{now} ORDER BY next_attempt_at LIMIT 128")
        out = subprocess.run(["psql", backend, "-At", "-c", q], capture_output=True, text=True)
        return (out.stdout or out.stderr).strip().splitlines()
    pick = ("SELECT rid FROM (SELECT rid, due FROM (SELECT rowid AS rid, next_attempt_at AS due "
            "FROM deliveries WHERE state IN ('pending', 'retry_scheduled') AND next_attempt_at <= ?1 "
            "ORDER BY next_attempt_at LIMIT ?2) UNION ALL SELECT rid, due FROM (SELECT rowid AS rid, "
            "lease_expires_at AS due FROM deliveries WHERE state = 'claimed' AND lease_expires_at <= ?1 "
            "ORDER BY lease_expires_at LIMIT ?2)) ORDER BY due, rid LIMIT ?2")
    with sqlite3.connect(f"file:{os.path.join(backend, 'hookd.db')}?mode=ro", uri=True, timeout=30) as db:
        plan = [r[3] for r in db.execute("EXPLAIN QUERY PLAN " + pick, (now, 128))]
        t = time.perf_counter()
        db.execute(pick, (now, 128)).fetchall()
        plan.append(f"executed in {(time.perf_counter() - t) * 1000:.2f} ms")
    return plan


def wait_until(what, check, timeout_s):
    deadline = time.time() + timeout_s
    while not check():
        if time.time() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(1.0)


def down_endpoint(server, token, url, policy):
    app = api(server, token, "POST", "/api/v1/app", {"name": "bench-down-endpoint"})
    ep = api(server, token, "POST", f"/api/v1/app/{app['id']}/endpoint",
             {"url": url, "description": "down", "options": {"retryPolicy": policy}})
    return app["id"], ep["id"]


def run_backlog(label, binary, make_backend, name):
    count = BACKLOG_SIZES[name]
    backend, cleanup = make_backend()
    hole = blackhole()
    server = sampler = None
    try:
        server = Server(binary, backend, name=f"{label}-backlog")
        time.sleep(1.0)
        idle = server.rss_kb()
        sampler = RssSampler([server])
        sampler.start()
        app_id, ep_id = down_endpoint(server, server.token, f"http://127.0.0.1:{hole.getsockname()[1]}/hook",
                                      CHURN_POLICY)
        sampler.mark("building")
        cpu = CpuMeter([server], backend)
        pub = publish_many(server, server.token, app_id, count)
        pub["cpu"] = cpu.stop()
        sampler.mark("holding")
        time.sleep(20)
        held = db_counts(backend)
        sampler.mark("churning")
        cpu = CpuMeter([server], backend)
        api(server, server.token, "PATCH", f"/api/v1/app/{app_id}/endpoint/{ep_id}",
            {"url": f"http://127.0.0.1:{closed_port()}/hook"})
        time.sleep(60)
        churn_cpu = cpu.stop()
        churned = db_counts(backend)
        peaks = sampler.stop()
        series, sampler = sampler.series, None
        r = {"backlog": count, "idle_rss_kb": idle, "publish": pub, "rows_after_holding": held,
             "rows_after_churning": churned, "rss_peaks_kb": peaks, "rss_series_kb": series,
             "churn_cpu": churn_cpu,
             "churn_attempts_per_s":
                 round((churned.get("attempts", 0) - held.get("attempts", 0)) / 60.0, 1)}
        pk = {p: round(v["VmRSS"] / 1024, 1) for p, v in peaks.items()}
        print(f"{label}-{name}".ljust(24) +
              f" published {pub['ok']} at {pub['msgs_per_s']}/s (p50 {pub['latency_ms']['p50']} p99 "
              f"{pub['latency_ms']['p99']} ms) | RSS MB idle {idle / 1024:.1f} peaks {pk} | "
              f"churn {r['churn_attempts_per_s']} attempts/s | rows {churned} | cpu while building {pub['cpu']}, "
              f"churning {churn_cpu}",
              flush=True)
        return r
    finally:
        if sampler:
            sampler.stop()
        if server:
            server.stop()
        hole.close()
        cleanup()


def run_growth(label, binary, wb, make_backend, kind):
    backend, cleanup = make_backend()
    server = None
    steps = []
    try:
        server = Server(binary, backend, name=f"{label}-growth")
        token = server.token
        app_id = None
        have = 0
        for size in GROWTH_STEPS:
            delta = size - have
            if delta > 0 and kind == "history":
                whbench(wb, server, token, ["--endpoints", "1", "--messages", str(delta), "--concurrency", "64",
                                            "--keep-app", "--grace-ms", "0", "--timeout-s", "900",
                                            "--label", f"fill-{size}"], timeline=False)
            elif delta > 0:
                if app_id is None:
                    app_id, _ = down_endpoint(server, token, f"http://127.0.0.1:{closed_port()}/hook",
                                              PARKED_POLICY)
                publish_many(server, token, app_id, delta)
                # The backlog's first attempts fail at once; measure once every one has been
                # made and the whole backlog waits for its retry.
                wait_until("the backlog's first attempts",
                           lambda: not ({"deliveries_pending", "deliveries_claimed"} & set(db_counts(backend))),
                           1800)
            have = size
            time.sleep(5)  # let the WAL checkpoint and the disk settle; not synchronisation
            if backend.startswith("postgres") and pg_setting("autovacuum") == "off":
                # After a fill autovacuum would have analyzed the tables before the next runs.
                psql("VACUUM ANALYZE", backend)
            step = {"rows": db_counts(backend), "claim_plan": claim_plan(backend), "runs": {}}
            for name in GROWTH_RUNS:
                for _ in range(GROWTH_REPEATS):
                    cpu = CpuMeter([server], backend)
                    r = whbench(wb, server, token, SCENARIOS[name] + ["--label", f"{label}-{kind}-{size}-{name}"])
                    r["cpu"] = cpu.stop()
                    step["runs"].setdefault(name, []).append(r)
                    summarize(f"{label}-{kind}{size // 1000}k-{name}", r, server.rss_kb("VmHWM"))
            print(f"{'':24} rows {step['rows']} | load {load()} | claim plan: {' / '.join(step['claim_plan'])}",
                  flush=True)
            steps.append({"size": size, **step})
        return {"kind": kind, "steps": steps}
    finally:
        if server:
            server.stop()
        cleanup()


def run_isolation(label, binary, wb, make_backend, name):
    backend, cleanup = make_backend()
    server = None
    try:
        server = Server(binary, backend, name=f"{label}-{name}")
        cpu = CpuMeter([server], backend)
        r = whbench(wb, server, server.token, ISOLATION[name] + ["--label", f"{label}-{name}"])
        r["cpu"] = cpu.stop()
        r["server_peak_rss_kb"] = [server.rss_kb("VmHWM")]
        summarize(f"{label}-{name}", r, r["server_peak_rss_kb"])
        slow = r.get("slow_endpoints", {})
        print(f"{'':24} healthy missing {r['delivery']['missing_healthy']} | slow pairs reached "
              f"{slow.get('pairs_reached')}", flush=True)
        return r
    finally:
        if server:
            server.stop()
        cleanup()


def run_long(label, binary, wb, make_backend, name):
    if name in BACKLOG_SIZES:
        return run_backlog(label, binary, make_backend, name)
    if name.startswith("growth-"):
        return run_growth(label, binary, wb, make_backend, name.split("-", 1)[1])
    return run_isolation(label, binary, wb, make_backend, name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--only", nargs="*", help="backend-scenario names, e.g. sqlite-e1 pg3-e10 sqlite-backlog1m")
    ap.add_argument("--long", action="store_true",
                    help="also run the long scenarios (backlog, growth, isolation; three hours or more)")
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
        if procs != 1:
            continue  # the long scenarios run against one process
        for name in LONG:
            if (args.only and f"{label}-{name}" in args.only) or (not args.only and args.long):
                results[f"{label}-{name}"] = run_long(label, binary, wb, make, name)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=2)
    print(f"figures written to {args.out}")


if __name__ == "__main__":
    main()
