"""Two `dtcost sync` of the same account into one PostgreSQL database,
started together: the second waits for the first's advisory lock, and the
data is as after one run; with a short --lock-wait it gives up instead, with
one line naming the lock and exit 73, having written nothing."""
import os
import subprocess
import time
import unittest

from dtsync import FACT_TABLES, dump, run_sync, sync_env
from emu import DTCOST, Emulator, tmpdir
from pg import Postgres, to_sqlite


def start(emu, url, *args):
    return subprocess.Popen([DTCOST, "sync", "--db", url, "--quiet", "--retry-base-ms", "20", *args],
                            env=sync_env(emu), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class TwoSyncs(unittest.TestCase):
    def test_second_waits_or_gives_up(self):
        d = tmpdir()
        with Postgres() as pg, Emulator("--days", "30", "--latency-ms", "5") as emu:
            clean = os.path.join(d, "clean.db")
            self.assertEqual(run_sync(emu, clean).returncode, 0)

            url = pg.createdb("together")
            a, b = start(emu, url), start(emu, url)
            outs = [p.communicate(timeout=240) for p in (a, b)]
            self.assertEqual((a.returncode, b.returncode), (0, 0), outs)
            self.assertEqual(pg.sql("together", "SELECT COUNT(*), COUNT(DISTINCT status) FROM sync_run"),
                             [["2", "1"]])
            # Taking turns: one run started after the other finished.
            (s1, f1), (s2, f2) = pg.sql("together", "SELECT started_at, finished_at FROM sync_run ORDER BY id")
            self.assertGreaterEqual(s2, f1)
            self.assertTrue(dump(to_sqlite(url, os.path.join(d, "together.db")), FACT_TABLES) ==
                            dump(clean, FACT_TABLES), "two runs at once differ from one run")

            # The refused case: an account answering 25 ms late, so the first sync holds its lock for
            # seconds after the second starts however fast the database writes (at 5 ms a fast
            # machine's first sync ended within the second's one-second wait).
            with Emulator("--days", "30", "--latency-ms", "25") as slow:
                url = pg.createdb("refused")
                first = start(slow, url)
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and pg.sql("refused", "SELECT COUNT(*) FROM pg_locks"
                                                                         " WHERE locktype='advisory'") == [["0"]]:
                    time.sleep(0.05)
                second = start(slow, url, "--lock-wait", "1")
                err = second.communicate(timeout=60)[1]
                out = first.communicate(timeout=240)
                self.assertEqual(first.returncode, 0, out)
                self.assertEqual(second.returncode, 73, err)
                self.assertEqual(len(err.strip().splitlines()), 1, err)
                self.assertIn("locked by another dtcost", err)
                self.assertEqual(pg.sql("refused", "SELECT COUNT(*) FROM sync_run"), [["1"]])


if __name__ == "__main__":
    unittest.main()
