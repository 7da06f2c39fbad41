"""The same emulated account synced into SQLite and into PostgreSQL gives
byte-identical `report --format json`, `export` (FOCUS and CSV) and `verify`
output (the FOCUS file's last column is when each database was last synced:
that time is the one difference allowed); a second sync into PostgreSQL changes nothing; after late bookings
both back-ends restate the same days and log the same revisions. Each run's counts in the run log
(inserted, updated, days restated) are SQLite's: a first sync's batches go by COPY, a rerun's by the
merge (store_pg.c), and both count as puts one by one."""
import os
import re
import subprocess
import unittest

from dtsync import rows, run_sync
from emu import DTCOST, Emulator, tmpdir
from pg import Postgres

READS = [["report", "--format", "json"], ["export", "--format", "focus"], ["export", "--format", "csv"],
         ["verify"]]


VIEWS = {
    "daily_cost_by_subscription": "SELECT subscription_uuid, day, currency, cost_micro, subscription_name"
                                  " FROM daily_cost_by_subscription ORDER BY subscription_uuid, day",
    "daily_cost_by_environment": "SELECT subscription_uuid, environment_id, environment_name, day, cost_micro"
                                 " FROM daily_cost_by_environment ORDER BY subscription_uuid, environment_id, day",
    "daily_cost_by_capability": "SELECT capability_key, capability_name, SUM(cost_micro) FROM"
                                " daily_cost_by_capability GROUP BY capability_key, capability_name ORDER BY 1",
    "chargeback_daily": "SELECT field, alloc_key, COUNT(*), SUM(cost_micro) FROM chargeback_daily"
                        " GROUP BY field, alloc_key ORDER BY 1, 2",
    "budget_status": "SELECT subscription_uuid, budget_total_micro, budget_used_micro, budget_remaining_micro"
                     " FROM budget_status ORDER BY 1",
}


def read(db, argv, synced):
    r = subprocess.run([DTCOST, *argv, "--db", db], capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout.replace(db, "DB").replace(synced, "SYNCED"), r.stderr.replace(db, "DB")


def first_difference(a, b):
    """None when equal, else the first differing line of each (unittest's diff
    of megabytes would take minutes)."""
    if a == b:
        return None
    for i, (x, y) in enumerate(zip(a.split("\n"), b.split("\n"))):
        if x != y:
            return f"line {i + 1}:\n  sqlite:   {x[:300]}\n  postgres: {y[:300]}"
    return f"lengths {len(a)} and {len(b)}"


COUNTS = "SELECT status, inserted, updated, restated_days FROM sync_run ORDER BY id"


class PostgresMatchesSqlite(unittest.TestCase):
    def assert_same_reads(self, pg, lite, url):
        synced = (rows(lite, "SELECT MAX(finished_at) FROM sync_run WHERE status='ok'")[0][0],
                  pg.sql("dtcost", "SELECT MAX(finished_at) FROM sync_run WHERE status='ok'")[0][0])
        for argv in READS:
            a, b = read(lite, argv, synced[0]), read(url, argv, synced[1])
            self.assertEqual(a[0], 0, (argv, a[2]))
            self.assertGreater(len(a[1]), 100, argv)
            self.assertEqual((b[0], b[2]), (a[0], a[2]), argv)
            self.assertIsNone(first_difference(a[1], b[1]), argv)

    def test_sync_report_export_verify_match(self):
        with Postgres() as pg, Emulator("--days", "60") as emu:
            url = pg.createdb("dtcost")
            lite = os.path.join(tmpdir(), "dtcost.db")
            for db in (lite, url):
                r = run_sync(emu, db)
                self.assertEqual(r.returncode, 0, r.stderr)
            # The sync left the planner statistics of what it wrote fresh
            # (ANALYZE, not autovacuum's next round): the export streams in
            # key order instead of hashing whole tables.
            analyzed = pg.sql("dtcost", "SELECT relname FROM pg_stat_user_tables WHERE last_analyze"
                                        " IS NOT NULL AND relname IN ('env_cost_day', 'env_usage_day',"
                                        " 'cost_allocation') ORDER BY 1")
            self.assertEqual(analyzed, [["cost_allocation"], ["env_cost_day"], ["env_usage_day"]])
            self.assert_same_reads(pg, lite, url)
            # The BI views answer the same on both.
            for view, sql in VIEWS.items():
                want = [[None if v is None else str(v) for v in r] for r in rows(lite, sql)]
                self.assertGreater(len(want), 0, view)
                self.assertEqual(pg.sql("dtcost", sql), want, view)

            again = run_sync(emu, url)
            self.assertEqual(again.returncode, 0, again.stderr)
            self.assertIn(" 0 rows inserted, 0 updated, 0 days restated", again.stdout)
            self.assertEqual(pg.sql("dtcost", "SELECT COUNT(*) FROM revision"), [["0"]])

            emu.advance(booking_runs=3)
            restated = []
            for db in (lite, url):
                r = run_sync(emu, db)
                self.assertEqual(r.returncode, 0, r.stderr)
                restated.append(int(re.search(r"(\d+) days? restated", r.stdout).group(1)))
            self.assertGreater(restated[0], 0)
            self.assertEqual(restated[1], restated[0])
            sql = "SELECT fact, key, old_value, new_value, booking FROM revision"
            want = sorted(([None if v is None else str(v) for v in r] for r in rows(lite, sql)), key=repr)
            got = sorted(pg.sql("dtcost", sql), key=repr)
            self.assertGreater(len(got), 0)
            self.assertEqual(got, want)
            self.assert_same_reads(pg, lite, url)
            # The run log: the first sync, the restating one (the PostgreSQL
            # database had one more run between them, which changed nothing).
            want = [[str(v) for v in r] for r in rows(lite, COUNTS)]
            got = pg.sql("dtcost", COUNTS)
            self.assertGreater(int(want[0][1]), 10000)
            self.assertEqual(got[1], ["ok", "0", "0", "0"])
            self.assertEqual([got[0], got[2]], want)


if __name__ == "__main__":
    unittest.main()
