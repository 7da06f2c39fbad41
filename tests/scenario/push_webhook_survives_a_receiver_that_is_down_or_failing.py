"""A webhook receiver that is down for its first attempts, answers 500 for
longer than one run retries, or answers 429 with Retry-After still ends with
every record of the database exactly once after deduplication by key; a run
that gives up leaves its batches in the outbox (exit 75) and the next run
delivers them; Retry-After is honoured."""
import os
import time
import unittest

from dtpush import expected, hook_fail, hook_read, hook_records, hook_url, latest_by_key, run_push
from dtsync import rows, run_sync
from emu import Emulator, tmpdir


class ReceiverFailures(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator("--days", "30")
        cls.db = os.path.join(tmpdir(), "dtcost.db")
        res = run_sync(cls.emu, cls.db)
        assert res.returncode == 0, res.stderr
        cls.want = expected(cls.db)
        assert len(cls.want) > 1000

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def assert_exactly_once(self, name):
        _, latest = latest_by_key(hook_records(self.emu, name))
        self.assertEqual(set(latest), set(self.want))
        for key, rec in latest.items():
            self.assertEqual(rec["costMicro"], self.want[key], key)
            self.assertEqual(rec["revision"], 1)

    def test_down_for_the_first_attempts(self):
        hook_fail(self.emu, "down", count=3, status=0)
        res = run_push(self.emu, self.db, "webhook", hook_url(self.emu, "down"), "--batch-records", "1000")
        self.assertEqual(res.returncode, 0, res.stderr)
        got = hook_read(self.emu, "down")
        self.assertEqual(got["failures"], 3)
        self.assertEqual(len(got["deliveries"]), 5)  # 4170 records, 1000 per batch
        self.assert_exactly_once("down")
        records = hook_records(self.emu, "down")
        self.assertEqual(len(records), len(self.want), "a record was sent twice")

    def test_500_longer_than_one_run_retries(self):
        hook_fail(self.emu, "err", count=4, status=500)
        url = hook_url(self.emu, "err")
        first = run_push(self.emu, self.db, "webhook", url, "--retries", "2", "--batch-records", "2000")
        self.assertEqual(first.returncode, 75, first.stdout + first.stderr)
        self.assertIn("not delivered after 3 attempts", first.stderr)
        dest = f"webhook {url}"
        pending = rows(self.db, "SELECT COUNT(*), SUM(records), MAX(attempts), MAX(last_status) FROM outbox_batch "
                                "WHERE dest=? AND state='pending'", dest)[0]
        self.assertEqual(pending[:2], (3, len(self.want)))  # recorded before sending, all of it
        self.assertEqual(pending[2:], (3, 500))
        second = run_push(self.emu, self.db, "webhook", url, "--retries", "2", "--json")
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertIn('"enqueued_records":0', second.stdout)  # nothing new: the outbox had it all
        self.assertEqual(rows(self.db, "SELECT COUNT(*) FROM outbox_batch WHERE dest=? AND state<>'delivered'",
                              dest)[0][0], 0)
        self.assert_exactly_once("err")
        third = run_push(self.emu, self.db, "webhook", url, "--json")
        self.assertIn('"enqueued_records":0,"enqueued_batches":0,"delivered_batches":0', third.stdout)

    def test_429_honours_retry_after(self):
        hook_fail(self.emu, "busy", count=2, status=429, retry_after=1)
        t0 = time.monotonic()
        res = run_push(self.emu, self.db, "webhook", hook_url(self.emu, "busy"), "--json")
        elapsed = time.monotonic() - t0
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn('"retries":2', res.stdout)
        self.assertGreaterEqual(elapsed, 2.0, "Retry-After: 1 was not waited for twice")
        self.assert_exactly_once("busy")


if __name__ == "__main__":
    unittest.main()
