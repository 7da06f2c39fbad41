"""`dtcost push bizevents` sends flat CloudEvents batches
(application/cloudevent-batch+json) that Grail records with event.type and
event.provider set and no nested values; with OAuth (storage:events:write)
or an Api-Token (bizevents.ingest); a 413 halves the batch until it fits,
429s are backed off; --dry-run prints the batches and records nothing; a
restated day arrives again with the same record key."""
import json
import os
import unittest

from dtpush import expected, latest_by_key, push_env, run_push, secret_file
from dtsync import rows, run_sync
from emu import INGEST_TOKEN, NOINGEST_TOKEN, Emulator, tmpdir


def grail(emu):
    r = emu.request("GET", "/emu/bizevents")
    assert r.status == 200
    return r.json()


class BizEvents(unittest.TestCase):
    def test_oauth_413_halving_and_429_backoff(self):
        # Bodies over 150 kB get 413; a fifth of the requests get 429.
        with Emulator("--days", "10", "--bizevents-max", "150000", "--fault-429", "0.2", "--retry-after", "0") as emu:
            d = tmpdir()
            db = os.path.join(d, "dtcost.db")
            self.assertEqual(run_sync(emu, db).returncode, 0)
            want = expected(db)
            env_url = f"{emu.base}/e/abc12345"

            dry = run_push(emu, db, "bizevents", "--environment", env_url, "--dry-run")
            self.assertEqual(dry.returncode, 0, dry.stderr)
            heads = [line for line in dry.stdout.splitlines() if line.startswith("== POST ")]
            self.assertTrue(heads)
            self.assertIn("/e/abc12345/api/v2/bizevents/ingest", heads[0])
            self.assertIn("application/cloudevent-batch+json", heads[0])
            bodies = [json.loads(line) for line in dry.stdout.splitlines() if line.startswith("[")]
            self.assertEqual(sum(len(b) for b in bodies), len(want))
            self.assertEqual(grail(emu), [])
            self.assertEqual(rows(db, "SELECT COUNT(*) FROM outbox_batch")[0][0], 0)
            self.assertEqual(rows(db, "SELECT COUNT(*) FROM push_record")[0][0], 0)

            res = run_push(emu, db, "bizevents", "--environment", env_url, "--batch-bytes", "600000", "--json",
                           "--retries", "8")
            self.assertEqual(res.returncode, 0, res.stderr)
            summary = json.loads(res.stdout)
            self.assertGreater(summary["split_batches"], 0)
            self.assertGreater(summary["retries"], 0)
            self.assertIn("too large for the receiver (413)", res.stderr)
            events = grail(emu)
            self.assertEqual(len(events), len(want))
            for e in events:
                self.assertEqual(e["contentType"], "application/cloudevent-batch+json")
                self.assertEqual(e["auth"], "oauth")
                self.assertEqual(e["environment"], "abc12345")
                rec = e["record"]
                self.assertEqual((rec["event.type"], rec["event.provider"]), ("dtcost.cost", "dtcost"))
                self.assertEqual(rec["event.id"], rec["idempotencyKey"])
                self.assertEqual(rec["costMicro"], want[rec["recordKey"]])
                self.assertEqual(rec["timestamp"], rec["day"] + "T00:00:00Z")
                for k, v in e["event"]["data"].items():
                    self.assertNotIsInstance(v, (dict, list), k)
            self.assertEqual(rows(db, "SELECT COUNT(*) FROM outbox_batch WHERE state='split'")[0][0],
                             summary["split_batches"])

    def test_api_token_and_restated_days(self):
        with Emulator("--days", "10") as emu:
            d = tmpdir()
            db = os.path.join(d, "dtcost.db")
            self.assertEqual(run_sync(emu, db).returncode, 0)
            token = secret_file(d, "ingest.token", INGEST_TOKEN)
            env = push_env(emu, DT_CLIENT_SECRET=None)  # no OAuth client: the token must do
            res = run_push(emu, db, "bizevents", "--environment", emu.base, "--api-token-file", token, env=env)
            self.assertEqual(res.returncode, 0, res.stderr)
            first = grail(emu)
            self.assertEqual({e["auth"] for e in first}, {"api-token"})
            before = expected(db)
            emu.advance(booking_runs=3)
            self.assertEqual(run_sync(emu, db).returncode, 0)
            after = expected(db)
            res = run_push(emu, db, "bizevents", "--environment", emu.base, "--api-token-file", token, env=env)
            self.assertEqual(res.returncode, 0, res.stderr)
            later = [e["record"] for e in grail(emu)[len(first):]]
            changed = {k for k in before if after[k] != before[k]}
            updates = {r["recordKey"]: r for r in later if r["change"] == "update"}
            self.assertEqual(set(updates), changed)
            for k, r in updates.items():
                self.assertEqual((r["revision"], r["costMicro"], r["event.id"]), (2, after[k], f"{k}@2"))
            _, latest = latest_by_key([e["record"] for e in grail(emu)])
            self.assertEqual({k: r["costMicro"] for k, r in latest.items()}, after)

            bad = secret_file(d, "readonly.token", NOINGEST_TOKEN)
            emu.advance(booking_runs=1)
            self.assertEqual(run_sync(emu, db).returncode, 0)
            res = run_push(emu, db, "bizevents", "--environment", emu.base, "--api-token-file", bad, env=env)
            self.assertEqual(res.returncode, 77, res.stderr)
            self.assertIn("bizevents.ingest", res.stderr)


if __name__ == "__main__":
    unittest.main()
