"""Against PostgreSQL: `dtcost sync` killed with SIGKILL mid-run, then run
again, equals one uninterrupted run (the killed run marked interrupted); the
server stopped mid-sync and kept down past `--db-retry 3` gives a warning,
then, within the bound and a few seconds, one line naming the lost
connection and how long it retried, and exit 69; it leaves only whole
chunks (each committed with the coverage it describes), and the next run,
with the server back, completes to the same data."""
import os
import signal
import subprocess
import time
import unittest

from dtsync import FACT_TABLES, dump, run_sync, sync_env
from emu import DTCOST, Emulator, tmpdir
from pg import Postgres, to_sqlite, wait_until

FLAGS = ("--days", "60", "--environments", "4", "--capabilities", "6", "--latency-ms", "10")


# a run mid-way, by the rows it committed
ROWS = "SELECT COUNT(*) FROM env_cost_day"


def start(emu, url, *args):
    return subprocess.Popen([DTCOST, "sync", "--db", url, "--quiet", "--retry-base-ms", "20", *args],
                            env=sync_env(emu), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class PostgresResumes(unittest.TestCase):
    def test_sigkill_then_rerun_and_server_stopped_then_rerun(self):
        d = tmpdir()
        with Postgres() as pg, Emulator(*FLAGS) as emu:
            clean = os.path.join(d, "clean.db")
            self.assertEqual(run_sync(emu, clean).returncode, 0)
            want = dump(clean, FACT_TABLES)
            total = int(dump(clean, ["env_cost_day"]).count("\n"))

            for i, frac in enumerate((0.1, 0.5)):
                url = pg.createdb(f"killed{i}")
                proc = start(emu, url)
                wait_until(pg, f"killed{i}", ROWS, int(frac * total), proc)
                proc.send_signal(signal.SIGKILL)
                proc.communicate(timeout=10)
                self.assertEqual(proc.returncode, -signal.SIGKILL, f"finished before the kill at {frac}")
                r = run_sync(emu, url)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("marked interrupted", r.stderr)
                self.assertTrue(dump(to_sqlite(url, os.path.join(d, f"killed{i}.db")), FACT_TABLES) == want,
                                f"killed at {frac}, the rerun differs")
                self.assertEqual(pg.sql(f"killed{i}", "SELECT status FROM sync_run ORDER BY id"),
                                 [["interrupted"], ["ok"]])

            url = pg.createdb("stopped")
            proc = start(emu, url, "--db-retry", "3")
            # Stop once the first chunks are in, while the sync is still running.
            wait_until(pg, "stopped", ROWS, int(0.3 * total), proc)
            self.assertIsNone(proc.poll(), "the sync ended before the server could be stopped")
            stopped_at = time.monotonic()
            pg.stop("fast")
            out, err = proc.communicate(timeout=120)
            waited = time.monotonic() - stopped_at
            pg.restart()
            self.assertEqual(proc.returncode, 69, err)
            # The bound (3 s), plus the stop itself and one attempt's slice.
            self.assertLess(waited, 3 + 8, err)
            self.assertRegex(err, r"warning: database: .*the PostgreSQL connection was lost \(.*\); "
                                  r"retrying for up to 3 s\n")
            lines = [l for l in err.strip().splitlines() if "warning" not in l]
            self.assertEqual(len(lines), 1, err)
            self.assertIn("PostgreSQL connection was lost", lines[0])
            self.assertRegex(lines[0], r"not back after [345] s of retrying \(.*cannot connect")
            self.assertNotIn("reconnected", err)
            # Whole chunks: a chunk's rows commit with the coverage that
            # records its days, so no stored row lies outside a recorded range.
            partial = pg.sql("stopped", "SELECT COUNT(*) FROM env_cost_day e WHERE NOT EXISTS (SELECT 1 FROM"
                                        " coverage c WHERE c.scope = 'env_cost:' || e.subscription_uuid"
                                        " AND e.day BETWEEN c.first_day AND c.last_day)")
            self.assertGreater(int(pg.sql("stopped", "SELECT COUNT(*) FROM env_cost_day")[0][0]), 0)
            self.assertEqual(partial, [["0"]])
            r = run_sync(emu, url)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(dump(to_sqlite(url, os.path.join(d, "stopped.db")), FACT_TABLES) == want,
                            "after the server came back, the rerun differs")


if __name__ == "__main__":
    unittest.main()
