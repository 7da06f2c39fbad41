"""Running `dtcost sync` again changes nothing (byte-identical query results,
no duplicates); after Dynatrace books late (the emulator's clock moves by
booking runs) a rerun updates the restated days in place, says how many, and
logs each change in the revision table with old and new value, booking date
and when it was seen."""
import os
import re
import unittest

from dtsync import dump, rows, run_sync
from emu import Emulator, micro, tmpdir


class SyncIdempotent(unittest.TestCase):
    def test_second_run_changes_nothing_and_late_bookings_are_restated(self):
        with Emulator("--days", "90") as emu:
            db = os.path.join(tmpdir(), "dtcost.db")
            first = run_sync(emu, db)
            self.assertEqual(first.returncode, 0, first.stderr)
            before = dump(db)
            second = run_sync(emu, db)
            self.assertEqual(second.returncode, 0, second.stderr)
            self.assertEqual(dump(db), before)
            self.assertIn(" 0 rows inserted, 0 updated, 0 days restated", second.stdout)
            self.assertEqual(rows(db, "SELECT COUNT(*) FROM revision")[0][0], 0)

            old = dict(rows(db, "SELECT subscription_uuid || ' ' || day, cost_micro FROM cost_day"))
            emu.advance(booking_runs=3)
            third = run_sync(emu, db)
            self.assertEqual(third.returncode, 0, third.stderr)
            restated = int(re.search(r"(\d+) days? restated", third.stdout).group(1))
            self.assertGreater(restated, 0)

            new = dict(rows(db, "SELECT subscription_uuid || ' ' || day, cost_micro FROM cost_day"))
            changed = {k for k in old if new[k] != old[k]}
            self.assertEqual(len(changed), restated)
            self.assertGreater(len(new), len(old))  # new days arrived too
            # In place: one row per natural key, still.
            self.assertEqual(rows(db, "SELECT COUNT(*), COUNT(DISTINCT subscription_uuid || day) FROM cost_day")[0],
                             (len(new), len(new)))
            revs = rows(db, "SELECT key, old_value, new_value, booking, seen_at, run_id FROM revision "
                            "WHERE fact='cost_day'")
            self.assertEqual({r[0].replace("|", " ") for r in revs}, changed)
            run3 = rows(db, "SELECT MAX(id) FROM sync_run")[0][0]
            for key, o, n, booking, seen, run_id in revs:
                k = key.replace("|", " ")
                self.assertEqual((int(o), int(n)), (old[k], new[k]))
                self.assertTrue(booking and seen, key)
                self.assertEqual(run_id, run3)
            # Per-environment records were restated as well, and still add up.
            self.assertGreater(rows(db, "SELECT COUNT(*) FROM revision WHERE fact='env_cost_day'")[0][0], 0)
            bad = rows(db, """SELECT c.day FROM cost_day c JOIN env_cost_day e USING (subscription_uuid, day)
                              GROUP BY c.subscription_uuid, c.day HAVING SUM(e.cost_micro) != c.cost_micro""")
            self.assertEqual(bad, [])
            self.assertEqual(rows(db, "SELECT restated_days FROM sync_run WHERE id=?", run3)[0][0], restated)


if __name__ == "__main__":
    unittest.main()
