"""Shared by the SDK flows: start a real `hookd serve`, a local receiver that queues every
request, and a tiny check/report helper whose closing line follows the "N passed, N failed"
convention so CI can read it. Standard library only, so it works with any SDK version.

The flows in other languages (node/, rust/) start hookd through this same code, run as a
command: `harness.py PATH_TO_HOOKD -- COMMAND ARGS…` starts hookd on a free port with a fresh
data directory, runs COMMAND with `HOOKD_URL` and `HOOKD_TOKEN` (an admin token) in its
environment, stops hookd and exits with COMMAND's status. Those flows run their own receiver
and verifier in their own language.
"""

import http.server
import os
import queue
import socket
import subprocess
import threading
import time

# How long to wait for hookd to start and for a webhook to arrive. Generous: CI machines are
# slow, and a missing webhook is a failure either way.
DEADLINE_SECONDS = 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """A local webhook receiver that queues every request it gets."""

    def __init__(self):
        self.requests = queue.Queue()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                outer.requests.put((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self):
        return self.requests.get(timeout=DEADLINE_SECONDS)


def start_hookd(binary, data_dir):
    port = free_port()
    proc = subprocess.Popen(
        [binary, "serve", "--data-dir", data_dir, "--listen", f"127.0.0.1:{port}",
         "--allowed-networks", "127.0.0.0/8"],
        stdout=subprocess.PIPE, text=True, env=dict(os.environ, HOOKD_LOG="warn"),
    )
    token = None
    expect_token = False
    deadline = time.monotonic() + DEADLINE_SECONDS
    for line in proc.stdout:
        line = line.strip()
        if expect_token:
            token, expect_token = line, False
        elif "shown only this once" in line:
            expect_token = True
        elif "listening on" in line:
            break
        if time.monotonic() > deadline:
            break
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    if token is None:
        proc.kill()
        raise SystemExit("hookd did not print an admin token at first start")
    return proc, f"http://127.0.0.1:{port}", token


class Report:
    """Counts checks and prints each as it is made."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, condition, detail=""):
        if condition:
            self.passed += 1
            print(f"ok   {name}")
        else:
            self.failed += 1
            print(f"FAIL {name} {detail}")

    def close(self, label):
        print(label)
        print(f"{self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


def wait_for(fetch, done):
    """Polls an API read until `done` holds. Over HTTP there is no completion signal to await,
    so this is the one place that polls, with a deadline."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        value = fetch()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def run_command_against_hookd(binary, command):
    """Starts hookd, runs `command` with HOOKD_URL and HOOKD_TOKEN set, and returns its status."""
    import tempfile

    with tempfile.TemporaryDirectory() as data_dir:
        proc, url, token = start_hookd(binary, data_dir)
        try:
            env = dict(os.environ, HOOKD_URL=url, HOOKD_TOKEN=token)
            return subprocess.call(command, env=env)
        finally:
            proc.terminate()
            proc.wait(timeout=DEADLINE_SECONDS)


def run_against_hookd(binary, flow):
    """Starts hookd and a receiver, runs `flow(url, token, receiver, report)`, stops hookd and
    returns the report."""
    import tempfile

    receiver = Receiver()
    report = Report()
    with tempfile.TemporaryDirectory() as data_dir:
        proc, url, token = start_hookd(binary, data_dir)
        try:
            flow(url, token, receiver, report)
        finally:
            proc.terminate()
            proc.wait(timeout=DEADLINE_SECONDS)
    return report


if __name__ == "__main__":
    import sys

    if len(sys.argv) < 4 or sys.argv[2] != "--":
        raise SystemExit("usage: harness.py PATH_TO_HOOKD -- COMMAND [ARGS...]")
    sys.exit(run_command_against_hookd(sys.argv[1], sys.argv[3:]))
