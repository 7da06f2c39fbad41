"""No secret dtcost pushes with (webhook HMAC key, a header holding a bearer
token, the business-events Api-Token, the OAuth client secret, the tokens
the SSO issued) appears in any output, log or database file, in successful
runs, dry runs, failed runs and `dtcost serve`: a byte search over all of
them finds none."""
import glob
import os
import re
import signal
import subprocess
import time
import unittest

from dtpush import hook_fail, hook_read, hook_url, push_env, run_push, secret_file
from dtsync import run_sync
from emu import CLIENT_SECRET, DTCOST, INGEST_TOKEN, Emulator, tmpdir

HMAC_KEY = "hmac-key-5b1e0f8c93d24a7e"
BEARER = "receiver-bearer-c0ffee42d00d"


class Secrets(unittest.TestCase):
    def test_no_secret_anywhere(self):
        with Emulator("--days", "10") as emu:
            d = tmpdir()
            db = os.path.join(d, "dtcost.db")
            key = secret_file(d, "hook.secret", HMAC_KEY)
            hdrs = secret_file(d, "hook.headers", f"Authorization: Bearer {BEARER}\nX-Team: finops")
            tok = secret_file(d, "ingest.token", INGEST_TOKEN)
            cs = secret_file(d, "client.secret", CLIENT_SECRET)
            env = push_env(emu, DT_CLIENT_SECRET=None, DT_CLIENT_SECRET_FILE=cs)
            outputs = []

            def keep(res):
                outputs.append(res.stdout)
                outputs.append(res.stderr)
                return res

            self.assertEqual(keep(run_sync(emu, db, env=env)).returncode, 0)
            hook = ["webhook", hook_url(emu, "s"), "--secret-file", key, "--header-file", hdrs]
            self.assertEqual(keep(run_push(emu, db, *hook, "--dry-run", env=env)).returncode, 0)
            hook_fail(emu, "s", count=50, status=401)
            self.assertEqual(keep(run_push(emu, db, *hook, "--retries", "0", env=env)).returncode, 77)
            hook_fail(emu, "s", count=0)
            self.assertEqual(keep(run_push(emu, db, *hook, "--json", env=env)).returncode, 0)
            got = hook_read(emu, "s")["deliveries"]
            self.assertEqual(got[0]["headers"]["authorization"], f"Bearer {BEARER}")  # it was sent, though
            biz = ["bizevents", "--environment", emu.base]
            self.assertEqual(keep(run_push(emu, db, *biz, "--api-token-file", tok, env=env)).returncode, 0)
            emu.advance(booking_runs=2)
            self.assertEqual(keep(run_push(emu, db, *biz, "--dry-run", env=env)).returncode, 0)
            self.assertEqual(keep(run_push(emu, db, *biz, "--environment", f"{emu.base}/e/zz", env=env)).returncode, 0)

            cfg = os.path.join(d, "dtcost.ini")
            with open(cfg, "w") as f:
                f.write(f"[serve]\ninterval = 1\njitter = 0\n\n[push hook]\ntype = webhook\n"
                        f"url = {hook_url(emu, 's2')}\nsecret_file = {key}\nheader_file = {hdrs}\n\n"
                        f"[push grail]\ntype = bizevents\nenvironment = {emu.base}\napi_token_file = {tok}\n")
            proc = subprocess.Popen([DTCOST, "serve", "--config", cfg, "--db", db, "--listen", "127.0.0.1:0",
                                     "--max-cycles", "2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            out, err = proc.communicate(timeout=120)
            self.assertEqual(proc.returncode, 0, err)
            outputs += [out.decode(), err.decode()]

            blobs = [o.encode() for o in outputs]
            with open(emu.log_path, "rb") as f:
                blobs.append(f.read())
            for path in glob.glob(db + "*"):
                with open(path, "rb") as f:
                    blobs.append(f.read())
            self.assertGreaterEqual(len(blobs), 18)  # 16 outputs, the request log, the database
            for secret in (HMAC_KEY, BEARER, INGEST_TOKEN, CLIENT_SECRET, INGEST_TOKEN.split(".")[-1]):
                for i, blob in enumerate(blobs):
                    self.assertNotIn(secret.encode(), blob, f"secret found in output/log/database #{i}")
            # Bearer tokens the SSO issued (emu.<32 hex>) stay in memory too.
            for i, blob in enumerate(blobs):
                self.assertIsNone(re.search(rb"emu\.[0-9a-f]{32}", blob), f"token in output/log/database #{i}")


if __name__ == "__main__":
    unittest.main()
