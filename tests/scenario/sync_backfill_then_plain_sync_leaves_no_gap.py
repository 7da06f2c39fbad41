"""`dtcost sync --since 2026-08-01 --until 2026-08-31` on a new database,
followed by a plain `dtcost sync`, gives the same database as one plain sync:
the backfill records only the days it read, so the plain run still reads
every day before and after them (a last-day checkpoint used to skip all
days before the backfill for good)."""
import os
import unittest

from dtsync import dump, rows, run_sync
from emu import Emulator, tmpdir

FLAGS = ("--days", "150", "--environments", "5", "--capabilities", "6")


class Backfill(unittest.TestCase):
    def test_backfill_then_plain_sync_equals_a_plain_sync(self):
        d = tmpdir()
        with Emulator(*FLAGS) as emu:
            plain = os.path.join(d, "plain.db")
            self.assertEqual(run_sync(emu, plain).returncode, 0)
            db = os.path.join(d, "backfilled.db")
            res = run_sync(emu, db, "--since", "2026-08-01", "--until", "2026-08-31")
            self.assertEqual(res.returncode, 0, res.stderr)
            days = rows(db, "SELECT MIN(day), MAX(day) FROM env_cost_day")[0]
            self.assertEqual(days, ("2026-08-01", "2026-08-31"))
            res = run_sync(emu, db)
            self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(dump(db), dump(plain))
        first = rows(plain, "SELECT MIN(day) FROM env_cost_day")[0][0]
        self.assertLess(first, "2026-08-01")


if __name__ == "__main__":
    unittest.main()
