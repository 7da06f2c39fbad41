"""With a shared secret, every webhook body carries an HMAC-SHA256 signature
header that an independent computation (Python's hmac) verifies; custom
headers arrive; --body json sends one JSON array; the summary as CSV
counts what arrived; a secret file readable
by others is refused (exit 78) and nothing is sent."""
import csv
import hashlib
import hmac
import io
import json
import os
import unittest

from dtpush import expected, hook_read, hook_url, push_env, run_push, secret_file
from dtsync import run_sync
from emu import Emulator, tmpdir

SECRET = "wh-secret-7f3a9c1e2b"


class Signatures(unittest.TestCase):
    def test_signed_bodies_verify(self):
        with Emulator("--days", "10") as emu:
            d = tmpdir()
            db = os.path.join(d, "dtcost.db")
            self.assertEqual(run_sync(emu, db).returncode, 0)
            key = secret_file(d, "hook.secret", SECRET)
            res = run_push(emu, db, "webhook", hook_url(emu, "signed"), "--secret-file", key, "--body", "json",
                           "--header", "X-Team: finops", "--batch-records", "300", "--format", "csv")
            self.assertEqual(res.returncode, 0, res.stderr)
            deliveries = hook_read(emu, "signed")["deliveries"]
            self.assertGreater(len(deliveries), 1)
            n = 0
            for dl in deliveries:
                h = dl["headers"]
                want = "sha256=" + hmac.new(SECRET.encode(), dl["body"].encode(), hashlib.sha256).hexdigest()
                self.assertTrue(hmac.compare_digest(h["x-dtcost-signature"], want))
                self.assertEqual(h["x-team"], "finops")
                self.assertTrue(h["content-type"].startswith("application/json"))
                self.assertRegex(h["idempotency-key"], r"^dtc-[0-9a-f]{32}$")
                records = json.loads(dl["body"])
                self.assertEqual(int(h["x-dtcost-records"]), len(records))
                n += len(records)
            self.assertEqual(n, len(expected(db)))
            # the run's summary as CSV: a header and one row saying what arrived
            summary = list(csv.DictReader(io.StringIO(res.stdout, newline="")))
            self.assertEqual(len(summary), 1, res.stdout)
            self.assertEqual({k: summary[0][k] for k in ("status", "dry_run", "delivered_records", "delivered_batches")},
                             {"status": "ok", "dry_run": "false", "delivered_records": str(n),
                              "delivered_batches": str(len(deliveries))})
            # A tampered body does not verify: the check above can fail.
            body = deliveries[0]["body"].replace('"revision":1', '"revision":9', 1)
            self.assertNotEqual(deliveries[0]["headers"]["x-dtcost-signature"],
                                "sha256=" + hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).hexdigest())

    def test_secret_from_the_environment_and_unsafe_files(self):
        with Emulator("--days", "5") as emu:
            d = tmpdir()
            db = os.path.join(d, "dtcost.db")
            self.assertEqual(run_sync(emu, db).returncode, 0)
            res = run_push(emu, db, "webhook", hook_url(emu, "env"), env=push_env(emu, DTCOST_WEBHOOK_SECRET=SECRET))
            self.assertEqual(res.returncode, 0, res.stderr)
            dl = hook_read(emu, "env")["deliveries"][0]
            self.assertEqual(dl["headers"]["x-dtcost-signature"],
                             "sha256=" + hmac.new(SECRET.encode(), dl["body"].encode(), hashlib.sha256).hexdigest())
            loose = secret_file(d, "loose.secret", SECRET, mode=0o644)
            res = run_push(emu, db, "webhook", hook_url(emu, "loose"), "--secret-file", loose)
            self.assertEqual(res.returncode, 78)
            self.assertIn("chmod 600", res.stderr)
            self.assertEqual(hook_read(emu, "loose")["attempts"], 0)


if __name__ == "__main__":
    unittest.main()
