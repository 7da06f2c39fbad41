"""No secret appears in any output of any command: sync, report, export,
verify, push (webhook with a token in the URL path and in the query, signed,
with a bearer header; --dry-run, --json, a refused and an unreachable
receiver; business events with an Api-Token), serve and its /metrics,
license fetch and doctor, run against the emulator with known secrets. A
byte search over stdout, stderr, the database, its WAL, the metrics text,
the dry-run output and the emulator's request log finds none of them, nor
a bearer token the SSO issued. URLs with userinfo are refused without
repeating it. An SSO that echoes the form-encoded request (client secret
included) and terminal escapes in its error_description puts neither on
stderr nor in sync_run.message. The database files are mode 0600 and the
commands that hold secrets run with core dumps off."""
import glob
import http.client
import http.server
import json
import os
import re
import sqlite3
import stat
import subprocess
import threading
import unittest
import urllib.parse

from dtpush import hook_fail, hook_read, hook_url, push_env, run_push, secret_file
from dtsync import run_sync, sync_env
from emu import CLIENT_SECRET, CLUSTER_TOKEN, DTCOST, INGEST_TOKEN, Emulator, tmpdir

HMAC_KEY = "hmac-key-5b1e0f8c93d24a7e"
BEARER = "receiver-bearer-c0ffee42d00d"
PATH_TOKEN = "T0S3CRETPATHxyz987"
QUERY_TOKEN = "qtok-S3CRET-4242"
USER_PASSWORD = "pw-S3CRET-77"
SECRETS = (HMAC_KEY, BEARER, INGEST_TOKEN, INGEST_TOKEN.split(".")[-1], CLIENT_SECRET, CLUSTER_TOKEN,
           CLUSTER_TOKEN.split(".")[-1], PATH_TOKEN, QUERY_TOKEN, USER_PASSWORD,
           urllib.parse.quote(CLIENT_SECRET, safe=""), urllib.parse.quote_plus(CLIENT_SECRET))


class EchoingSso(http.server.BaseHTTPRequestHandler):
    """A hostile SSO: refuses every token request, quoting the request body
    (form-encoded, with the client secret) and terminal escapes back."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        doc = {"error": "invalid_client", "error_description": f"\x1b[2J\x1b]0;pwn\x07bad request\r {body}"}
        out = json.dumps(doc).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


class Secrets(unittest.TestCase):
    def setUp(self):
        self.blobs = []

    def keep(self, res, what):
        for stream in (res.stdout, res.stderr):
            self.blobs.append((what, stream.encode() if isinstance(stream, str) else stream))
        return res

    def run_cmd(self, what, args, env, code=0, timeout=240):
        res = subprocess.run([DTCOST, *args], env=env, capture_output=True, text=True, timeout=timeout)
        self.keep(res, what)
        self.assertEqual(res.returncode, code, f"{what}: {res.stderr}")
        return res

    def test_no_secret_anywhere_in_any_command(self):
        with Emulator("--days", "10", "--hosts", "2", "--cluster-environments", "1") as emu:
            d = tmpdir()
            db = os.path.join(d, "dtcost.db")
            key = secret_file(d, "hook.secret", HMAC_KEY)
            hdrs = secret_file(d, "hook.headers", f"Authorization: Bearer {BEARER}\nX-Team: finops")
            tok = secret_file(d, "ingest.token", INGEST_TOKEN)
            cs = secret_file(d, "client.secret", CLIENT_SECRET)
            env = push_env(emu, DT_CLIENT_SECRET=None, DT_CLIENT_SECRET_FILE=cs)
            url = hook_url(emu, PATH_TOKEN) + f"?token={QUERY_TOKEN}"

            self.keep(run_sync(emu, db, env=env), "sync")
            self.run_cmd("doctor", ["doctor"], env)
            self.run_cmd("report", ["report", "--db", db], env)
            self.run_cmd("export", ["export", "--db", db, "--format", "csv"], env)
            self.run_cmd("verify", ["verify", "--db", db], env)

            hook = ["webhook", url, "--secret-file", key, "--header-file", hdrs]
            dry = self.keep(run_push(emu, db, *hook, "--dry-run", env=env), "push --dry-run")
            self.assertEqual(dry.returncode, 0, dry.stderr)
            self.assertIn("/emu/webhook/***?token=***", dry.stdout)
            hook_fail(emu, PATH_TOKEN, count=50, status=401)
            self.assertEqual(self.keep(run_push(emu, db, *hook, "--retries", "0", env=env), "push 401").returncode, 77)
            hook_fail(emu, PATH_TOKEN, count=0)
            res = self.keep(run_push(emu, db, *hook, "--json", env=env), "push --json")
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertTrue(json.loads(res.stdout.splitlines()[0])["destination"].startswith(
                f"webhook {emu.base}/emu/webhook/***?token=*** #"))
            got = hook_read(emu, PATH_TOKEN)["deliveries"]
            self.assertEqual(got[0]["headers"]["authorization"], f"Bearer {BEARER}")  # it was sent, though
            # an unreachable receiver: curl's message names the URL
            dead = f"http://127.0.0.1:9/hook/{PATH_TOKEN}?token={QUERY_TOKEN}"
            res = self.keep(run_push(emu, db, "webhook", dead, "--retries", "0", "--json", env=env), "push down")
            self.assertNotEqual(res.returncode, 0)
            # userinfo: refused, not repeated
            res = self.keep(run_push(emu, db, "webhook", f"http://user:{USER_PASSWORD}@127.0.0.1:9/h", env=env),
                            "push userinfo")
            self.assertEqual(res.returncode, 78)
            for var in ("DT_API_URL", "DT_SSO_URL"):
                bad = emu.base.replace("http://", f"http://user:{USER_PASSWORD}@")
                res = self.keep(run_sync(emu, db, env=dict(env, **{var: bad})), f"sync {var} userinfo")
                self.assertEqual(res.returncode, 78, res.stderr)
                self.assertIn("carries credentials", res.stderr)

            biz = ["bizevents", "--environment", emu.base]
            self.assertEqual(self.keep(run_push(emu, db, *biz, "--api-token-file", tok, env=env),
                                       "bizevents").returncode, 0)
            emu.advance(booking_runs=2)
            self.assertEqual(self.keep(run_push(emu, db, *biz, "--dry-run", env=env), "bizevents dry").returncode, 0)

            lenv = {k: v for k, v in os.environ.items() if not k.startswith(("DT_", "DTCOST_"))}
            lenv["DT_CLUSTER_TOKEN"] = CLUSTER_TOKEN
            state = emu.get_json("/emu/state", None)
            end = state["now"][:13] + ":00:00Z"
            hour = int(end[11:13])
            start = end[:11] + f"{max(hour - 3, 0):02d}:00:00Z"
            if start == end:
                start = end[:11] + "00:00:00Z"
                end = end[:11] + "03:00:00Z"
            self.run_cmd("license fetch", ["license", "fetch", "--cluster", emu.base, "--out",
                                           os.path.join(d, "archives"), "--db", db, "--from", start, "--to", end,
                                           "--retry-base-ms", "50"], lenv)

            cfg = os.path.join(d, "dtcost.ini")
            with open(cfg, "w") as f:
                f.write(f"[serve]\ninterval = 1\njitter = 0\n\n[push hook]\ntype = webhook\n"
                        f"url = {hook_url(emu, PATH_TOKEN + 'b')}?token={QUERY_TOKEN}\nsecret_file = {key}\n"
                        f"header_file = {hdrs}\n\n[push grail]\ntype = bizevents\nenvironment = {emu.base}\n"
                        f"api_token_file = {tok}\n")
            proc = subprocess.Popen([DTCOST, "serve", "--config", cfg, "--db", db, "--listen", "127.0.0.1:0",
                                     "--max-cycles", "3"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.addCleanup(lambda: proc.poll() is None and proc.kill())
            port = int(proc.stdout.readline().decode().strip())
            with open(f"/proc/{proc.pid}/limits") as f:
                core = [line for line in f if line.startswith("Max core file size")][0].split()
            self.assertEqual(core[4:6], ["0", "0"], "serve may write a core dump")
            metrics = ""
            for _ in range(100):
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                try:
                    c.request("GET", "/metrics")
                    metrics = c.getresponse().read().decode()
                except OSError:
                    break
                finally:
                    c.close()
                if "dtcost_outbox_backlog_batches" in metrics or "webhook" in metrics:
                    break
            out, err = proc.communicate(timeout=120)
            self.assertEqual(proc.returncode, 0, err)
            self.blobs += [("serve stdout", out), ("serve stderr", err), ("metrics", metrics.encode())]

            # A hostile SSO echoing the request with escapes.
            srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), EchoingSso)
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            self.addCleanup(srv.shutdown)
            echo_env = dict(env, DT_SSO_URL=f"http://127.0.0.1:{srv.server_address[1]}/sso/oauth2/token")
            res = self.keep(run_sync(emu, db, env=echo_env), "sync echoing sso")
            self.assertEqual(res.returncode, 77, res.stderr)
            self.assertIn("invalid_client", res.stderr)
            self.assertNotIn("\x1b", res.stderr)
            self.assertNotIn("\r", res.stderr)
            with sqlite3.connect(db) as con:
                msg = con.execute("SELECT message FROM sync_run ORDER BY id DESC LIMIT 1").fetchone()[0]
            self.assertIn("invalid_client", msg)
            self.assertNotIn("\x1b", msg)

            with open(emu.log_path, "rb") as f:
                emu_log = f.read()
            files = glob.glob(db + "*")
            self.assertTrue(any(p.endswith("-wal") for p in files), files)
            for path in files:
                if not path.endswith(".lock"):
                    self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600, path)
                with open(path, "rb") as f:
                    self.blobs.append((path, f.read()))
            self.assertGreaterEqual(len(self.blobs), 40)
            # The receiver's own log holds its URL; no other secret may reach it.
            self.blobs.append(("emulator log", emu_log.replace(PATH_TOKEN.encode(), b"").replace(
                QUERY_TOKEN.encode(), b"")))
            for secret in SECRETS:
                for what, blob in self.blobs:
                    self.assertFalse(secret.encode() in blob, f"a secret ({secret[:6]}...) in {what}")
            for what, blob in self.blobs:
                self.assertIsNone(re.search(rb"emu\.[0-9a-f]{32}", blob), f"an issued token in {what}")


if __name__ == "__main__":
    unittest.main()
