"""A server whose nextPageKey leads back to an earlier page would be
followed forever. `dtcost sync` notices the repeated key, stops within
seconds with exit 65 and a line naming the endpoint, and stores no part of a
walk it could not finish: every stored per-environment row lies in a range
of days recorded as read completely."""
import os
import time
import unittest

from dtsync import rows, run_sync
from emu import Emulator, tmpdir


class CyclingKey(unittest.TestCase):
    def test_a_cycling_page_key_stops_the_sync_with_nothing_half_written(self):
        db = os.path.join(tmpdir(), "dtcost.db")
        with Emulator("--days", "60", "--environments", "6", "--capabilities", "8", "--page-key-cycle") as emu:
            t0 = time.monotonic()
            res = run_sync(emu, db)
            took = time.monotonic() - t0
        self.assertEqual(res.returncode, 65, res.stderr)
        self.assertLess(took, 10)
        lines = res.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, res.stderr)
        self.assertRegex(lines[0], r"GET http://127\.0\.0\.1:\d+/sub/v3/.*/environments/(cost|usage): page \d+ "
                                   r"repeats an earlier nextPageKey")
        self.assertIn("nothing of this range was stored", lines[0])
        for table, kind in (("env_cost_day", "env_cost"), ("env_usage_day", "env_usage")):
            stray = rows(db, f"""SELECT COUNT(*) FROM {table} e WHERE NOT EXISTS (
                SELECT 1 FROM coverage c WHERE c.scope = '{kind}:' || e.subscription_uuid
                AND e.day BETWEEN c.first_day AND c.last_day)""")[0][0]
            self.assertEqual(stray, 0, table)
        self.assertEqual(rows(db, "SELECT status FROM sync_run")[0][0], "failed")


if __name__ == "__main__":
    unittest.main()
