"""`dtcost license fetch` against a cluster that answers every request with
429 and `Retry-After: 99999999999999999999` (beyond any integer): it exits
75 at once, within the --max-wait bound, instead of sleeping for the
server's number; a Retry-After of 1 s is waited out until --max-wait and
then exit 75. The server is a tiny Python http.server on loopback."""
import http.server
import os
import subprocess
import threading
import time
import unittest

from emu import DTCOST, tmpdir


def serve(retry_after):
    class H(http.server.BaseHTTPRequestHandler):
        hits = 0

        def do_GET(self):
            H.hits += 1
            body = b'{"error":{"code":429,"message":"an export is already running"}}'
            self.send_response(429)
            self.send_header("Retry-After", retry_after)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, H


def fetch(port, max_wait):
    d = tmpdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DT_", "DTCOST_"))}
    env["DT_CLUSTER_TOKEN"] = "dt0c01.TESTTOKEN0000000000000000.not-a-secret"
    t0 = time.monotonic()
    r = subprocess.run([DTCOST, "license", "fetch", "--cluster", f"http://127.0.0.1:{port}", "--from",
                        "2026-01-01T00:00:00Z", "--to", "2026-01-01T06:00:00Z", "--out", os.path.join(d, "a"),
                        "--db", os.path.join(d, "l.db"), "--max-wait", str(max_wait), "--retry-base-ms", "50"],
                       capture_output=True, text=True, timeout=60, env=env)
    return r, time.monotonic() - t0


class HugeRetryAfter(unittest.TestCase):
    def test_retry_after_beyond_any_integer_ends_at_once_with_75(self):
        srv, h = serve("99999999999999999999")
        try:
            r, secs = fetch(srv.server_address[1], 5)
        finally:
            srv.shutdown()
        self.assertEqual(r.returncode, 75, r.stderr)
        self.assertLess(secs, 5, "waited past --max-wait")
        self.assertIn("429", r.stderr)
        self.assertEqual(h.hits, 1)
        self.assertNotIn("not-a-secret", r.stderr + r.stdout)

    def test_retry_after_of_one_second_is_waited_out_until_max_wait(self):
        srv, h = serve("1")
        try:
            r, secs = fetch(srv.server_address[1], 2)
        finally:
            srv.shutdown()
        self.assertEqual(r.returncode, 75, r.stderr)
        self.assertGreaterEqual(h.hits, 2)
        self.assertLess(secs, 2 + 3, "waited past --max-wait")


if __name__ == "__main__":
    unittest.main()
