"""Runs the migration guides in docs/ as written, against a real `hookd serve`.

Usage: python3 tests/guides/check_guides.py path/to/hookd

For each docs/moving-*.md it extracts every ```sh block, in order, and runs them in one bash
with `set -euo pipefail`, the variables the guide's setup names (API, TOKEN, RECEIVER; the
receiver is a local one here) and `curl` failing on any HTTP error. Then it checks at the local
receiver that what the guide promises arrived (the seed vendor's headers, envelope, query
secret, operational webhooks). The Svix guide (last) imports from that same hookd, standing in
for Svix, into a data directory of its own. It uses only the standard library, stops hookd when done, and
ends with an `N passed, N failed` line; the exit status is non-zero on any failure.
"""

import http.server
import json
import os
import pathlib
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 30
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)

passed = 0
failed = 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """Records every POST (path with query, headers, body) and answers 200."""

    def __init__(self):
        self.seen = []
        self.cond = threading.Condition()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                with outer.cond:
                    outer.seen.append((self.path, dict((k.lower(), v) for k, v in self.headers.items()), body))
                    outer.cond.notify_all()
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, predicate, count=1):
        """The requests matching `predicate` once there are `count` of them (or what there is
        at the deadline)."""
        deadline = time.monotonic() + DEADLINE_SECONDS
        with self.cond:
            while True:
                found = [r for r in self.seen if predicate(r)]
                left = deadline - time.monotonic()
                if len(found) >= count or left <= 0:
                    return found
                self.cond.wait(left)


def start_hookd(binary, data_dir):
    port = free_port()
    proc = subprocess.Popen(
        [binary, "serve", "--data-dir", data_dir, "--listen", f"127.0.0.1:{port}",
         "--allowed-networks", "127.0.0.0/8"],
        stdout=subprocess.PIPE, text=True,
    )
    token = None
    expect_token = False
    for line in proc.stdout:
        line = line.strip()
        if expect_token:
            token, expect_token = line, False
        elif "shown only this once" in line:
            expect_token = True
        elif "listening on" in line:
            break
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    if token is None:
        proc.kill()
        raise SystemExit("hookd did not print an admin token at first start")
    return proc, f"http://127.0.0.1:{port}/api/v1", token


def run_guide(path, api, token, receiver_url, extra_env=""):
    blocks = SH_BLOCK.findall(path.read_text())
    script = "\n".join(
        ["set -euo pipefail",
         f"export API={api} TOKEN={token} RECEIVER={receiver_url} {extra_env}",
         'curl() { command curl --fail-with-body --max-time 90 "$@"; echo; }']
        + blocks
    )
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=300)
    check(f"{path.name}: its {len(blocks)} sh blocks run without error", result.returncode == 0,
          f"\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result.stdout


def api_get(api, token, path):
    req = urllib.request.Request(f"{api}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def keys_in_order(body):
    return [k for k, _ in json.loads(body, object_pairs_hook=lambda pairs: pairs)]


def check_postpress(rx, base, out, api, token):
    got = rx.wait_for(lambda r: r[0] == "/postpress" and r[1].get("postpress-auth") == "yoursecretkey", 2)
    check("postpress: the test send and the event arrive with Postpress-Auth", len(got) >= 2, f"{rx.seen}")
    for path, headers, body in got:
        check("postpress: Content-Type is application/json", headers.get("content-type") == "application/json")
        check("postpress: no Standard Webhooks headers", "webhook-signature" not in headers)
    events = [json.loads(b) for _, _, b in got]
    check("postpress: the payload is sent as is", {"id": "msg_77", "source": "messaging", "status": "delivered", "to": "+15555555555"} in events, f"{events}")
    check("postpress: the secret is never shown", "yoursecretkey" not in out)
    check("postpress: success only for 200", '"success":true' in out)


def check_postscript(rx, base, out, api, token):
    ep = "89066f0a-eb36-4ed8-b98c-606e6dcac715"
    tok = api_get(api, token, f"/app/shop_1234567abcd/endpoint/{ep}/signing-token")["token"]
    got = rx.wait_for(lambda r: r[0] == "/postscript", 2)
    check("postscript: the test and the event arrive", len(got) >= 2, f"{rx.seen}")
    for _, headers, body in got:
        check("postscript: Postscript-Signature is the signing token", headers.get("postscript-signature") == tok)
        check("postscript: the event object's keys in order",
              keys_in_order(body) == ["webhook_id", "resource_type", "resource_id", "event_time", "event", "event_data"],
              body)
        event = json.loads(body)
        check("postscript: webhook_id and resource_id are filled",
              event["webhook_id"] == ep and event["resource_id"] == "shop_1234567abcd", body)


def check_postmen(rx, base, out, api, token):
    got = rx.wait_for(lambda r: r[0] == "/postmen?secret=s3cr3t-k3y", 2)
    check("postmen: the URL secret arrives intact (test and event)", len(got) >= 2, f"{rx.seen}")
    for _, _, body in got:
        check("postmen: the envelope's keys in order",
              keys_in_order(body) == ["event", "date_time", "meta", "data"], body)
    check("postmen: the secret is shown as REDACTED", "secret=REDACTED" in out and "s3cr3t-k3y" not in out, out)
    reports = rx.wait_for(lambda r: r[0] == "/postmen/ops", 2)
    tasks = sorted(json.loads(b)["data"]["task"] for _, _, b in reports)
    check("postmen: both async tasks reported by operational webhook",
          tasks == ["endpoint.bulk_resend", "endpoint.recover"], f"{tasks}")
    check("postmen: operational webhooks are signed",
          all("webhook-signature" in h for _, h, _ in reports))


def check_svix(rx, base, out, api, token):
    reports = out.split("Imported from Svix:")[1:]
    check("svix: the guide runs the import twice, each ending with a report", len(reports) == 2, out)
    if len(reports) != 2:
        return
    apps = len(list_all(api, token, "/app"))
    first, second = reports
    check("svix: the first run creates every application of the source",
          f"applications  {apps} read: {apps} created" in first, first)
    check("svix: the second run changes nothing",
          f"applications  {apps} read: 0 created, 0 updated, {apps} unchanged" in second
          and "0 created, 0 updated" in second.split("endpoints", 1)[1], second)


def list_all(api, token, path):
    items, iterator = [], ""
    while True:
        page = api_get(api, token, f"{path}?limit=250&iterator={iterator}")
        items += page["data"]
        if page["done"]:
            return items
        iterator = page["iterator"]


GUIDES = {
    "moving-postpress.md": ("postpress", check_postpress),
    "moving-postscript.md": ("postscript", check_postscript),
    "moving-postmen.md": ("postmen", check_postmen),
    # Last, so that the hookd standing in for Svix holds what the other guides created.
    "moving-from-svix.md": ("svix", check_svix),
}


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    rx = Receiver()
    with tempfile.TemporaryDirectory() as data_dir:
        proc, api, token = start_hookd(sys.argv[1], data_dir)
        try:
            for name, (path, checker) in GUIDES.items():
                guide = ROOT / "docs" / name
                base = f"http://127.0.0.1:{rx.port}/{path}"
                with tempfile.TemporaryDirectory() as import_dir:
                    # The Svix guide imports from the running hookd (it speaks Svix's API)
                    # into a data directory of its own, with the binary under test on PATH.
                    bin_dir = os.path.dirname(os.path.abspath(sys.argv[1]))
                    extra = (f"SVIX_URL={api.removesuffix('/api/v1')} SVIX_TOKEN={token} "
                             f"HOOKD_DATA_DIR={import_dir} PATH={bin_dir}:$PATH")
                    out = run_guide(guide, api, token, base, extra)
                checker(rx, base, out, api, token)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
