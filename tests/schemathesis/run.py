#!/usr/bin/env python3
"""Fuzzes a real `hookd serve` with Schemathesis, from the OpenAPI document hookd serves.

Usage: run.py PATH_TO_HOOKD_BINARY [--max-examples N] [--seed N] [--workers N]

It starts hookd on a free port with a fresh data directory (the admin token is the one hookd
prints at first start), seeds one application, event type, endpoint and message under the
identifiers the document gives as examples (so that the example phase reaches real
resources), then runs Schemathesis over every operation of `GET /api/v1/openapi.json` with the
checks below, on a fixed seed and a bounded number of cases per operation. Every operation
must pass every check. The closing line follows the "N passed, N failed" convention (one line
per operation), after a line with the figures for the README.

hookd makes outbound requests (deliveries, test sends) to whatever endpoint URLs the fuzzer
invents. Run this inside a network namespace with only a loopback interface (scripts/test
does: `unshare --net --map-root-user`), so that none of them leaves the machine; hookd's own
address guard refuses loopback targets as well, since no network is allowed.
"""

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

# How long to wait for hookd to start and for the seeded message's first attempt.
DEADLINE_SECONDS = 30

# The checks every operation must pass: no 5xx, a documented status code, the documented
# content type and headers, a body that validates against the documented schema; a 401 without
# the token, a 405 for undocumented methods, a 404 for what was deleted (an event type's DELETE
# archives it) and not for what was just created (unless its create was an idempotent replay),
# and the required headers and `Allow` headers as documented; every request the document
# allows is accepted, but for the few refusals no JSON Schema can state (stored state, the
# clock, relations between values: documented_refusals.py lists each), and every request it
# forbids is refused.
CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "ignored_auth",
    "unsupported_method",
    "use_after_free_unless_archived",
    "ensure_resource_availability_unless_replayed",
    "missing_required_header",
    "allow_header_conformance",
    "positive_data_acceptance_documented",
    "negative_data_rejection",
])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_hookd(binary, data_dir):
    port = free_port()
    # The fuzzer sends requests without or with wrong tokens on purpose (its `ignored_auth`
    # check), thousands of them from one address: with the failed-authentication limit on,
    # every later case would meet a 429 and test nothing. The limit has its own tests
    # (`cargo nextest run -p hookd-server ratelimit`).
    env = dict(os.environ, HOOKD_LOG="warn", HOOKD_REQUEST_TIMEOUT_SECS="2",
               HOOKD_AUTH_FAILURES_PER_MINUTE="0")
    proc = subprocess.Popen(
        [binary, "serve", "--data-dir", data_dir, "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE, text=True, env=env,
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
    if token is None:
        proc.kill()
        raise SystemExit("hookd did not print an admin token at first start")
    # Keep draining its output so that it never blocks on a full pipe.
    import threading
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    return proc, f"http://127.0.0.1:{port}", token


def call(base, token, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=DEADLINE_SECONDS) as r:
            text = r.read()
            return r.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def seed(base, token):
    """Creates resources under the document's example identifiers."""
    steps = [
        ("POST", "/api/v1/event-type", {
            "name": "user.signup", "description": "A user signed up",
            "schemas": {"1": {"type": "object", "examples": [{"email": "a@example.com"}]}},
        }),
        ("POST", "/api/v1/app", {"name": "Fuzzed", "uid": "unique-app-identifier"}),
        ("POST", "/api/v1/app/unique-app-identifier/endpoint", {
            "url": "http://127.0.0.1:9/webhook", "uid": "unique-ep-identifier",
            "eventTypes": ["user.signup"],
        }),
        ("POST", "/api/v1/app/unique-app-identifier/msg", {
            "eventType": "user.signup", "eventId": "unique-msg-identifier",
            "payload": {"email": "a@example.com"},
        }),
    ]
    for method, path, body in steps:
        status, answer = call(base, token, method, path, body)
        if status >= 300:
            raise SystemExit(f"seeding {method} {path} failed: {status} {answer}")
    # The endpoint's address is refused (no network is allowed), so the first attempt fails
    # at once and is recorded; waiting for it gives the attempt routes something to find.
    # Over HTTP there is no completion signal to await, so this polls, with a deadline.
    deadline = time.monotonic() + DEADLINE_SECONDS
    path = "/api/v1/app/unique-app-identifier/attempt/msg/unique-msg-identifier"
    while time.monotonic() < deadline:
        status, answer = call(base, token, "GET", path)
        if status == 200 and answer["data"]:
            return
        time.sleep(0.05)
    raise SystemExit("the seeded message was never attempted")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", default="2")
    parser.add_argument("--report-dir", default=None)
    parser.add_argument("--checks", default=CHECKS)
    args = parser.parse_args()

    # Schemathesis's command line, through the launcher that works around a bug of the
    # machine's Python (see launch.py).
    launcher = os.path.join(os.path.dirname(os.path.abspath(__file__)), "launch.py")
    with tempfile.TemporaryDirectory() as data_dir:
        report_dir = args.report_dir or os.path.join(data_dir, "report")
        proc, base, token = start_hookd(args.binary, data_dir)
        try:
            seed(base, token)
            junit = os.path.join(report_dir, "junit.xml")
            started = time.monotonic()
            run = subprocess.run(
                [sys.executable, launcher, "run", f"{base}/api/v1/openapi.json",
                 "--header", f"Authorization: Bearer {token}",
                 "--checks", args.checks,
                 "--phases", "examples,coverage,fuzzing,stateful",
                 "--max-examples", str(args.max_examples),
                 "--seed", str(args.seed),
                 "--workers", args.workers,
                 "--request-timeout", "10",
                 "--suppress-health-check", "all",
                 "--report", "junit", "--report-junit-path", junit,
                 "--output-truncate", "true"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                # Schemathesis keeps a cache in its working directory; keep it out of the clone.
                cwd=data_dir,
            )
            elapsed = time.monotonic() - started
            print(run.stdout)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()

        operations = passed = failed = 0
        if os.path.exists(junit):
            for case in ET.parse(junit).getroot().iter("testcase"):
                operations += 1
                if case.find("failure") is not None or case.find("error") is not None:
                    failed += 1
                else:
                    passed += 1
        cases = re.search(r"Test cases:\s*(\d+)\s*generated", run.stdout)
        cases = cases.group(1) if cases else "?"
        print(f"schemathesis (seed {args.seed}, --max-examples {args.max_examples}): "
              f"{operations} operations, {cases} test cases in {elapsed:.0f} s, "
              f"{failed} operations failing")
        if run.returncode != 0 and failed == 0:
            # Schemathesis failed without a failing operation (a schema error, a crash): count it.
            failed = 1
        print(f"{passed} passed, {failed} failed")
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
