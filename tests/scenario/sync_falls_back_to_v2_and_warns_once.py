"""Where the v3 per-environment endpoints answer 404, `dtcost sync` falls back
to the deprecated v2 ones, warns once with their Deprecation and Sunset
headers, and ends with the same database as a sync over v3 (v2 records carry
no bookingDate, so that column stays empty)."""
import os
import unittest

from dtsync import FACT_TABLES, dump, rows, run_sync
from emu import Emulator, tmpdir

FLAGS = ("--days", "70")


class SyncFallsBack(unittest.TestCase):
    def test_v2_fallback_gives_the_same_database(self):
        d = tmpdir()
        with Emulator(*FLAGS) as emu:
            res = run_sync(emu, os.path.join(d, "v3.db"))
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertNotIn("deprecated v2", res.stderr)
        with Emulator(*FLAGS, "--no-v3") as emu:
            res = run_sync(emu, os.path.join(d, "v2.db"))
            self.assertEqual(res.returncode, 0, res.stderr)
            paths = [l["path"] for l in emu.log_lines()]
        self.assertEqual(res.stderr.count("deprecated v2"), 1, res.stderr)
        self.assertIn("Sunset: Mon, 11 Jan 2027 00:00:00 GMT", res.stderr)
        self.assertTrue(any("/sub/v2/" in p and p.endswith("/environments/cost") for p in paths))
        others = [t for t in FACT_TABLES if t != "env_cost_day"]
        self.assertEqual(dump(os.path.join(d, "v2.db"), others), dump(os.path.join(d, "v3.db"), others))
        q = ("SELECT subscription_uuid, environment_id, capability_key, day, cost_micro, currency "
             "FROM env_cost_day ORDER BY 1, 2, 3, 4")
        self.assertEqual(rows(os.path.join(d, "v2.db"), q), rows(os.path.join(d, "v3.db"), q))
        self.assertEqual(rows(os.path.join(d, "v2.db"), "SELECT COUNT(*) FROM env_cost_day "
                                                        "WHERE booking_date IS NOT NULL")[0][0], 0)


if __name__ == "__main__":
    unittest.main()
