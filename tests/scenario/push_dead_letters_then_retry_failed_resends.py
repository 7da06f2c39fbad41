"""A batch that keeps failing is dead-lettered after --dead-after failed
attempts (exit 75 naming --retry-failed); later runs leave it alone and
exit 0; `dtcost push --retry-failed` sends it again once the receiver is
fixed, and every record then arrived exactly once."""
import os
import unittest

from dtpush import expected, hook_fail, hook_read, hook_records, hook_url, latest_by_key, run_push
from dtsync import rows, run_sync
from emu import Emulator, tmpdir


class DeadLetters(unittest.TestCase):
    def test_dead_letter_then_retry_failed(self):
        with Emulator("--days", "20") as emu:
            db = os.path.join(tmpdir(), "dtcost.db")
            self.assertEqual(run_sync(emu, db).returncode, 0)
            want = expected(db)
            url = hook_url(emu, "poison")
            hook_fail(emu, "poison", count=1000, status=503)
            first = run_push(emu, db, "webhook", url, "--retries", "1", "--dead-after", "2",
                             "--batch-records", "1500", "--json")
            self.assertEqual(first.returncode, 75, first.stderr)
            self.assertIn("dead-lettered", first.stderr)
            self.assertIn("--retry-failed", first.stderr)
            batches = rows(db, "SELECT state, attempts, last_status FROM outbox_batch WHERE dest=?", f"webhook {url}")
            self.assertGreater(len(batches), 1)
            self.assertEqual({b for b in batches}, {("dead", 2, 503)})
            self.assertEqual(hook_read(emu, "poison")["deliveries"], [])

            hook_fail(emu, "poison", count=0)
            again = run_push(emu, db, "webhook", url, "--json")
            self.assertEqual(again.returncode, 0, again.stderr)
            self.assertIn('"delivered_batches":0', again.stdout)
            self.assertIn(f'"dead_total":{len(batches)}', again.stdout)
            self.assertEqual(hook_read(emu, "poison")["deliveries"], [])

            resent = run_push(emu, db, "webhook", url, "--retry-failed", "--json")
            self.assertEqual(resent.returncode, 0, resent.stderr)
            self.assertIn(f'"delivered_batches":{len(batches)}', resent.stdout)
            self.assertIn(f'"requeued":{len(batches)}', resent.stdout)
            records = hook_records(emu, "poison")
            self.assertEqual(len(records), len(want))
            _, latest = latest_by_key(records)
            self.assertEqual({k: r["costMicro"] for k, r in latest.items()}, want)
            self.assertEqual(rows(db, "SELECT COUNT(*) FROM outbox_batch WHERE state<>'delivered'")[0][0], 0)


if __name__ == "__main__":
    unittest.main()
