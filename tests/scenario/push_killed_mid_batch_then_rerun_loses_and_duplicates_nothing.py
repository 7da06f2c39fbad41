"""SIGKILL of `dtcost push` while a batch is in flight, then a rerun: every
record arrives, and nothing arrives twice except the one batch that was in
flight (at-least-once), which comes again with the same Idempotency-Key and
the same record keys."""
import collections
import os
import signal
import subprocess
import time
import unittest

from dtpush import expected, hook_fail, hook_read, hook_url, latest_by_key, parse_body, push_env, run_push
from dtsync import rows, run_sync
from emu import DTCOST, Emulator, tmpdir


class KilledMidBatch(unittest.TestCase):
    def test_kill_then_rerun(self):
        with Emulator("--days", "20") as emu:
            db = os.path.join(tmpdir(), "dtcost.db")
            self.assertEqual(run_sync(emu, db).returncode, 0)
            want = expected(db)
            url = hook_url(emu, "slow")
            # The receiver stores each body, then answers 700 ms later: a kill
            # in that window leaves a delivered batch still pending in the outbox.
            hook_fail(emu, "slow", count=0, delay_ms=700)
            proc = subprocess.Popen([DTCOST, "push", "webhook", url, "--db", db, "--batch-records", "200"],
                                    env=push_env(emu), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 30
            while len(hook_read(emu, "slow")["deliveries"]) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.2)  # inside the 700 ms answer delay of the fourth batch
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            self.assertEqual(proc.returncode, -signal.SIGKILL, "push finished before the kill")
            before = len(hook_read(emu, "slow")["deliveries"])
            self.assertLess(before, 10)
            pending = rows(db, "SELECT COUNT(*) FROM outbox_batch WHERE state='pending'")[0][0]
            self.assertGreater(pending, 0)

            hook_fail(emu, "slow", count=0, delay_ms=0)
            res = run_push(emu, db, "webhook", url, "--batch-records", "200")
            self.assertEqual(res.returncode, 0, res.stderr)

            deliveries = hook_read(emu, "slow")["deliveries"]
            keys = collections.Counter(d["headers"]["idempotency-key"] for d in deliveries)
            repeated = [k for k, n in keys.items() if n > 1]
            # Exactly the batch in flight at the kill came twice, no other.
            self.assertEqual(len(repeated), 1, f"expected the in-flight batch once more: {keys}")
            self.assertEqual(max(keys.values()), 2)
            records = []
            bodies = collections.defaultdict(set)
            for d in deliveries:
                bodies[d["headers"]["idempotency-key"]].add(d["body"])
                records.extend(parse_body(d["headers"], d["body"]))
            for k in repeated:
                self.assertEqual(len(bodies[k]), 1, "a resent batch must carry the same records")
            by_idem, latest = latest_by_key(records)
            self.assertEqual({k: r["costMicro"] for k, r in latest.items()}, want)
            self.assertEqual(len(by_idem), len(want))
            self.assertLessEqual(len(records) - len(want), 200)
            self.assertEqual(rows(db, "SELECT COUNT(*) FROM outbox_batch WHERE state<>'delivered'")[0][0], 0)


if __name__ == "__main__":
    unittest.main()
