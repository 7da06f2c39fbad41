"""Against PostgreSQL: the server stopped while `dtcost sync` is writing and
started again a few seconds later (a restart for a minor upgrade, a managed
failover) costs the sync nothing. It warns once that the connection was lost
and once that it is back, reconnects both of its connections (the run's and
the cost-allocation writer's), takes its locks again, redoes the chunk in
flight, and exits 0: the database then equals one uninterrupted run of the
same account, row for row, in the run log's counts too, and with a second
sync that restates late bookings the revision log is the clean run's, no
revision written twice. The same with an immediate stop (a crash, a
failover: the server does not say goodbye, and each connection finds out
from libpq alone when it next speaks, the writer's while idle too), where
the transaction in flight may even have an id the restarted server has not
reached yet ("in the future": not committed)."""
import os
import re
import subprocess
import time
import unittest

from dtsync import FACT_TABLES, dump, rows, run_sync, sync_env
from emu import DTCOST, Emulator, tmpdir
from pg import Postgres, to_sqlite, wait_until

FLAGS = ("--days", "60", "--environments", "4", "--capabilities", "6")
SLOW = ("--latency-ms", "40")  # the synced-into-PostgreSQL account: a run lasts seconds
REVISIONS = "SELECT fact, key, old_value, new_value, booking FROM revision ORDER BY 1, 2, 3, 4, 5"
COUNTS = "SELECT status, inserted, updated, restated_days FROM sync_run ORDER BY id"


def sessions_since(log, offset):
    """dtcost's sessions the server accepted after offset in its log."""
    with open(log, errors="replace") as f:
        f.seek(offset)
        return len(re.findall(r"connection authorized: .*application_name=dtcost", f.read()))


class PostgresRestart(unittest.TestCase):
    def restart_mid_sync(self, pg, emu, url, name, query, more_than, mode="fast"):
        """Run a sync into url, stop the server (pg_ctl -m mode) once query
        counts more than more_than and start it again; the sync's stderr and
        how many dtcost sessions the restarted server accepted."""
        proc = subprocess.Popen([DTCOST, "sync", "--db", url, "--quiet", "--retry-base-ms", "20", "--db-retry",
                                 "60"], env=sync_env(emu), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            wait_until(pg, name, query, more_than, proc)
            self.assertIsNone(proc.poll(), "the sync ended before the server could be stopped")
            pg.stop(mode)
            time.sleep(3)
            offset = os.path.getsize(pg.log)
            pg.restart(log_connections=True)
            out, err = proc.communicate(timeout=180)
        finally:
            if proc.poll() is None:
                proc.kill()
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(len(re.findall(r"warning: database: .*the PostgreSQL connection was lost \(.*\); "
                                        r"retrying for up to 60 s\n", err)), 1, err)
        self.assertRegex(err, r"warning: database: reconnected after \d+ s; (redoing the transaction in flight"
                              r"|the transaction in flight had committed)\n")
        self.assertEqual([l for l in err.splitlines() if "warning" not in l], [], err)
        return err, sessions_since(pg.log, offset)

    def test_restart_mid_first_sync_and_mid_a_restating_one(self):
        d = tmpdir()
        # The same account twice (same seed and clock): the clean runs read
        # the fast one, the restarted runs the slow one.
        with Postgres() as pg, Emulator(*FLAGS) as fast, Emulator(*FLAGS, *SLOW) as emu:
            clean = os.path.join(d, "clean.db")
            self.assertEqual(run_sync(fast, clean).returncode, 0)
            allocations = rows(clean, "SELECT COUNT(*) FROM cost_allocation")[0][0]
            self.assertGreater(allocations, 1000)

            url = pg.createdb("restarted")
            # Once the cost allocation, which the second connection stores,
            # has begun (a request takes 40 ms: it goes on for seconds):
            # both connections lose the server.
            err, sessions = self.restart_mid_sync(pg, emu, url, "restarted", "SELECT COUNT(*) FROM cost_allocation",
                                                  0)
            # The run's connection and the writer's each connected again.
            self.assertGreaterEqual(sessions, 2, err)
            got = to_sqlite(url, os.path.join(d, "restarted.db"))
            self.assertTrue(dump(got, FACT_TABLES) == dump(clean, FACT_TABLES), "after the restart, the data differs")
            self.assertEqual(pg.sql("restarted", COUNTS), [["ok", str(c[1]), str(c[2]), str(c[3])]
                                                            for c in rows(clean, COUNTS)])
            # Only the run's rows: no run marked interrupted, no run left running.
            self.assertNotIn("marked interrupted", err)

            # A crash: the same account into a second database of the same
            # server, stopped with -m immediate once the allocation writer
            # has begun. Both connections come back (each found the loss by
            # itself: no SQLSTATE, only libpq's "server closed the connection").
            url = pg.createdb("crashed")
            # A commit answered is on disk (the cluster's default, off, would
            # lose the last commits in a crash, as PostgreSQL documents)
            pg.sql("crashed", "ALTER DATABASE crashed SET synchronous_commit = on")
            err, sessions = self.restart_mid_sync(pg, emu, url, "crashed", "SELECT COUNT(*) FROM cost_allocation",
                                                  0, mode="immediate")
            self.assertGreaterEqual(sessions, 2, err)
            got = to_sqlite(url, os.path.join(d, "crashed.db"))
            self.assertTrue(dump(got, FACT_TABLES) == dump(clean, FACT_TABLES), "after the crash, the data differs")
            self.assertEqual(pg.sql("crashed", COUNTS), [["ok", str(c[1]), str(c[2]), str(c[3])]
                                                          for c in rows(clean, COUNTS)])
            url = pg.url("restarted")

            # Late bookings: a second sync restates recent days and logs each
            # change once, the server restarted while it writes them.
            fast.advance(booking_runs=3)
            emu.advance(booking_runs=3)
            self.assertEqual(run_sync(fast, clean).returncode, 0)
            want_revisions = [["" if c is None else str(c) for c in r] for r in rows(clean, REVISIONS)]
            self.assertGreater(len(want_revisions), 50)
            err, _ = self.restart_mid_sync(pg, emu, url, "restarted", "SELECT COUNT(*) FROM revision", 0)
            got = to_sqlite(url, os.path.join(d, "restated.db"))
            self.assertTrue(dump(got, FACT_TABLES) == dump(clean, FACT_TABLES), "after the restart, the data differs")
            self.assertEqual([[c or "" for c in r] for r in pg.sql("restarted", REVISIONS)],
                             want_revisions)
            self.assertEqual(pg.sql("restarted", COUNTS), [[c[0], str(c[1]), str(c[2]), str(c[3])]
                                                            for c in rows(clean, COUNTS)])


if __name__ == "__main__":
    unittest.main()
