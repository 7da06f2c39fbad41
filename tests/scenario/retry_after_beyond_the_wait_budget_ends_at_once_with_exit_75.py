"""A server that answers 429 with a Retry-After longer than any budget (a
20-digit number of seconds, or an HTTP date years ahead) does not overflow
dtcost's arithmetic or make it sleep: `license fetch` (--max-wait) and `sync`
(--retry-seconds) give up at once with exit 75 and one line saying to run
again later, after a single request."""
import os
import subprocess
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from emu import DTCOST, tmpdir

HUGE = ["99999999999999999999", "Fri, 01 Jan 2100 00:00:00 GMT"]


class Throttler(BaseHTTPRequestHandler):
    """Tokens for the asking; every API request 429 with server.retry_after."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(n)
        body = b'{"access_token":"t0k3n","token_type":"Bearer","expires_in":300,"scope":"account-uac-read"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.server.api_requests += 1
        body = b'{"error":true,"message":"Too many requests"}'
        self.send_response(429)
        self.send_header("Retry-After", self.server.retry_after)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server:
    def __init__(self, retry_after):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Throttler)
        self.httpd.retry_after = retry_after
        self.httpd.api_requests = 0
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DT_", "DTCOST_"))}
    env.update(extra)
    return env


class RetryAfterBeyondBudget(unittest.TestCase):
    def test_license_fetch_gives_up_at_once(self):
        for value in HUGE:
            with self.subTest(retry_after=value), Server(value) as srv:
                d = tmpdir()
                t = time.monotonic()
                r = subprocess.run([DTCOST, "license", "fetch", "--cluster", srv.base, "--out",
                                    os.path.join(d, "archives"), "--db", os.path.join(d, "l.db"),
                                    "--from", "2026-11-20T00:00:00Z", "--to", "2026-11-20T03:00:00Z",
                                    "--max-wait", "600"],
                                   capture_output=True, text=True, timeout=60,
                                   env=clean_env(DT_CLUSTER_TOKEN="dt0c01.TEST.not-a-secret"))
                self.assertLess(time.monotonic() - t, 30)
                self.assertEqual(r.returncode, 75, r.stderr)
                self.assertIn("run again", r.stderr)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
                self.assertEqual(srv.httpd.api_requests, 1)

    def test_sync_gives_up_at_once(self):
        for value in HUGE:
            with self.subTest(retry_after=value), Server(value) as srv:
                d = tmpdir()
                t = time.monotonic()
                r = subprocess.run([DTCOST, "sync", "--db", os.path.join(d, "s.db"), "--retry-seconds", "600"],
                                   capture_output=True, text=True, timeout=60,
                                   env=clean_env(DT_ACCOUNT_UUID="2b236438-2a31-4872-8655-bca4fa8af917",
                                                 DT_CLIENT_ID="dt0s02.TEST", DT_CLIENT_SECRET="dt0s02.TEST.s3cr3t",
                                                 DT_SSO_URL=f"{srv.base}/sso/oauth2/token", DT_API_URL=srv.base))
                self.assertLess(time.monotonic() - t, 30)
                self.assertEqual(r.returncode, 75, r.stderr)
                self.assertIn("run again later", r.stderr)
                self.assertEqual(srv.httpd.api_requests, 1, r.stderr)


if __name__ == "__main__":
    unittest.main()
