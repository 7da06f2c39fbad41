"""Test fixture: runs `dtcost emulate` on a free loopback port and talks to it.

Scenario tests import this (PYTHONPATH is set by CTest). Only 127.0.0.1 is
ever contacted. The emulator's default credentials are fixed test values
(docs/emulator.md), not secrets.
"""
import http.client
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.parse

DTCOST = os.environ.get("DTCOST", "build/dtcost")
# The dtcost binary for what a test needs but does not test: the emulator it
# talks to and shared set-up syncs (dtsync.synced_copy). The binary under
# test unless DTCOST_HELPER names another: tests/CMakeLists.txt sets it in
# the sanitizer build (-DDTCOST_TEST_HELPER) for every scenario test but the
# emulator's own, so only the code a test is about runs sanitized.
HELPER = os.environ.get("DTCOST_HELPER") or DTCOST
ACCOUNT = "2b236438-2a31-4872-8655-bca4fa8af917"
CLIENT_ID = "dt0s02.EMUCLI00"
CLIENT_SECRET = "dt0s02.EMUCLI00.emulator-secret-not-for-production"
ENV_CLIENT_ID = "dt0s02.EMUENV00"
ENV_CLIENT_SECRET = "dt0s02.EMUENV00.emulator-secret-env-read-only"
UAC_CLIENT_ID = "dt0s02.EMUUAC00"
UAC_CLIENT_SECRET = "dt0s02.EMUUAC00.emulator-secret-uac-read-only"
CLUSTER_TOKEN = "dt0c01.EMUCLUSTER00000000000000.emulator-cluster-token"
DPS_CLUSTER_TOKEN = "dt0c01.EMUCLUSTER01000000000000.emulator-cluster-token"
INGEST_TOKEN = "dt0c01.EMUINGEST000000000000000.emulator-ingest-token"
NOINGEST_TOKEN = "dt0c01.EMUNOINGEST0000000000000.emulator-read-only-token"
NOW = "2026-11-22T06:00:00Z"


def tmpdir():
    base = os.environ.get("DTCOST_TEST_TMP")
    if base:
        os.makedirs(base, exist_ok=True)
    return tempfile.mkdtemp(prefix="dtcost-", dir=base)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # dict with lower-case names
        self.body = body

    def json(self):
        return json.loads(self.body)


class Emulator:
    """`with Emulator("--days", "60") as emu:` starts one; it stops on exit."""

    def __init__(self, *args, now=NOW, seed=42, timeout=10):
        self.dir = tmpdir()
        self.log_path = os.path.join(self.dir, "requests.jsonl")
        cmd = [HELPER, "emulate", "--port", "0", "--now", now, "--seed", str(seed),
               "--log", self.log_path, *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline().decode().strip()
        if not line.isdigit():
            err = self.proc.stderr.read().decode() if self.proc.poll() is not None else ""
            self.proc.kill()
            raise RuntimeError(f"emulator did not print its port: {line!r} {err}")
        self.port = int(line)
        self.base = f"http://127.0.0.1:{self.port}"
        self.timeout = timeout
        self._conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        """SIGTERM, and the emulator must exit 0 within 10 s."""
        if self._conn:
            self._conn.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise AssertionError("emulator ignored SIGTERM for 10 s")
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode

    def request(self, method, path, params=None, headers=None, body=None, keepalive=True):
        """One HTTP request; returns Response. A new connection when keepalive is off
        or the previous one broke."""
        if params:
            path = path + "?" + urllib.parse.urlencode(params)
        for attempt in range(2):
            if self._conn is None or not keepalive:
                if self._conn:
                    self._conn.close()
                self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self._conn.request(method, path, body=body, headers=headers or {})
                r = self._conn.getresponse()
                data = r.read()
                return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._conn.close()
                self._conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def token_response(self, client_id=CLIENT_ID, secret=CLIENT_SECRET, scope=None,
                       resource=f"urn:dtaccount:{ACCOUNT}", grant_type="client_credentials"):
        form = {"grant_type": grant_type, "client_id": client_id, "client_secret": secret}
        if scope is not None:
            form["scope"] = scope
        if resource is not None:
            form["resource"] = resource
        return self.request("POST", "/sso/oauth2/token",
                            headers={"Content-Type": "application/x-www-form-urlencoded"},
                            body=urllib.parse.urlencode(form))

    def token(self, **kw):
        r = self.token_response(**kw)
        assert r.status == 200, (r.status, r.body)
        return r.json()["access_token"]

    def get(self, path, token=None, params=None, headers=None):
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        return self.request("GET", path, params=params, headers=h)

    def license_export(self, path, start_ms, end_ms, token=CLUSTER_TOKEN):
        """Write the cluster's license export ZIP of [start_ms, end_ms) to path."""
        resp = self.get("/api/cluster/v2/license/consumption", params={"startTs": start_ms, "endTs": end_ms},
                        headers={"Authorization": f"Api-Token {token}"})
        assert resp.status == 200, (resp.status, resp.body[:200])
        with open(path, "wb") as f:
            f.write(resp.body)
        return path

    def get_json(self, path, token, params=None):
        """GET that must answer 200. A rate-limit 429 (the account's limit,
        default 300 requests per second) is waited out as a client would,
        at most 5 times."""
        for _ in range(5):
            r = self.get(path, token, params)
            if r.status != 429:
                break
            time.sleep(min(float(r.headers.get("retry-after", "1")), 5))
        assert r.status == 200, (path, r.status, r.body[:300])
        return r.json()

    def subscriptions(self, token):
        return self.get_json(f"/sub/v2/accounts/{ACCOUNT}/subscriptions", token)["data"]

    def pages(self, path, token, params, page_size=None):
        """All pages of a v3 or cost-allocation query, following nextPageKey
        the way each endpoint takes it: v3 repeats the whole query next to
        page-key (live accounts refuse page-key alone), cost allocation sends
        page-key alone (its documented rule: no other parameter)."""
        out = []
        q = dict(params)
        if page_size:
            q["page-size"] = page_size
        first = dict(q)
        while True:
            doc = self.get_json(path, token, q)
            out.append(doc)
            key = doc.get("nextPageKey")
            if not key:
                return out
            q = {"page-key": key} if "/cost-allocation" in path else {**first, "page-key": key}

    def log_lines(self):
        with open(self.log_path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def advance(self, seconds=0, booking_runs=None):
        params = {"bookingRuns": booking_runs} if booking_runs is not None else {"advance": seconds}
        r = self.request("POST", "/emu/clock", params=params)
        assert r.status == 200, r.body
        return r.json()


def micro(text_or_number):
    """Exact integer micro-units of a JSON money value (parsed from its text)."""
    from decimal import Decimal
    return int(Decimal(str(text_or_number)) * 1000000)
