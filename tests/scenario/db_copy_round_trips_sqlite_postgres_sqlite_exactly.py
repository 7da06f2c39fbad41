"""`dtcost db copy` SQLite -> PostgreSQL -> SQLite gives back every table
exactly (facts, revisions and runs with their ids, checkpoints, coverage, the
outbox); copying again changes nothing; a sync into the copy goes on where
the copied runs ended."""
import os
import subprocess
import unittest

from dtpush import hook_url, run_push
from dtsync import FACT_TABLES, dump, rows, run_sync
from emu import DTCOST, Emulator, tmpdir
from pg import Postgres

ALL_TABLES = FACT_TABLES + ["cost_allocation_value", "lic_env_hour", "lic_ddu_hour", "lic_host_hour", "lic_file",
                            "revision", "sync_run", "checkpoint", "coverage", "outbox_batch", "outbox_record",
                            "push_record"]


def copy(a, b):
    return subprocess.run([DTCOST, "db", "copy", "--from", a, "--to", b], capture_output=True, text=True,
                          timeout=240)


class DbCopy(unittest.TestCase):
    def test_round_trip_is_exact_and_idempotent(self):
        d = tmpdir()
        lite, back = os.path.join(d, "a.db"), os.path.join(d, "b.db")
        with Postgres() as pg, Emulator("--days", "40") as emu:
            self.assertEqual(run_sync(emu, lite).returncode, 0)
            emu.advance(booking_runs=3)
            self.assertEqual(run_sync(emu, lite).returncode, 0)
            r = run_push(emu, lite, "webhook", hook_url(emu, "finops"))
            self.assertEqual(r.returncode, 0, r.stderr)
            for t in ("revision", "outbox_record", "coverage", "sync_run"):
                self.assertGreater(rows(lite, f"SELECT COUNT(*) FROM {t}")[0][0], 0, t)

            url = pg.createdb("dtcost")
            first = copy(lite, url)
            self.assertEqual(first.returncode, 0, first.stderr)
            again = copy(lite, url)
            self.assertEqual(again.returncode, 0, again.stderr)
            self.assertEqual(again.stdout, first.stdout)
            self.assertEqual(pg.sql("dtcost", "SELECT COUNT(*) FROM env_cost_day"),
                             [[str(rows(lite, "SELECT COUNT(*) FROM env_cost_day")[0][0])]])

            r = copy(url, back)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(dump(back, ALL_TABLES) == dump(lite, ALL_TABLES), "the round trip changed a table")

            # The copy's ids go on: a sync into PostgreSQL records run 3.
            runs = rows(lite, "SELECT MAX(id) FROM sync_run")[0][0]
            r = run_sync(emu, url)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(pg.sql("dtcost", "SELECT MAX(id), COUNT(*) FROM sync_run"),
                             [[str(runs + 1), str(runs + 1)]])

            # A schema newer than this dtcost is refused, not written to.
            pg.sql("dtcost", "UPDATE meta SET value='99' WHERE key='schema_version'")
            r = copy(lite, url)
            self.assertEqual(r.returncode, 74, r.stderr)
            self.assertIn("upgrade dtcost", r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1)
            pg.sql("dtcost", "UPDATE meta SET value='3' WHERE key='schema_version'")

            # A copy that fails leaves the target as it was.
            missing = copy(os.path.join(d, "missing.db"), url)
            self.assertEqual(missing.returncode, 66)
            self.assertEqual(len(missing.stderr.strip().splitlines()), 1)


if __name__ == "__main__":
    unittest.main()
