"""Killing `dtcost sync` with SIGKILL in the middle of a run and running it
again gives the same database as one uninterrupted run: pages are committed
whole, checkpoints only after complete chunks, and the rerun resumes."""
import os
import signal
import subprocess
import time
import unittest

from dtsync import dump, rows, run_sync, sync_env
from emu import DTCOST, Emulator, tmpdir

FLAGS = ("--days", "120", "--page-size-default", "50", "--page-size-max", "50")


class SyncResumes(unittest.TestCase):
    def test_killed_run_then_rerun_equals_uninterrupted_run(self):
        d = tmpdir()
        clean_db, killed_db = os.path.join(d, "clean.db"), os.path.join(d, "killed.db")
        clean = Emulator(*FLAGS)
        self.addCleanup(clean.stop)
        res = run_sync(clean, clean_db)
        self.assertEqual(res.returncode, 0, res.stderr)
        # Slow answers stretch the run so the kill lands in the middle. The
        # same seed and clock give the same data on both emulators.
        with Emulator(*FLAGS, "--fault-slow", "0.5", "--slow-ms", "40") as emu:
            for delay in (0.8, 1.6):
                proc = subprocess.Popen([DTCOST, "sync", "--db", killed_db, "--quiet"], env=sync_env(emu),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(delay)
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)
                self.assertEqual(proc.returncode, -signal.SIGKILL, "sync finished before the kill")
            unfinished = rows(killed_db, "SELECT COUNT(*) FROM sync_run WHERE finished_at IS NULL")[0][0]
            self.assertEqual(unfinished, 2)
            self.assertNotEqual(dump(killed_db), dump(clean_db), "the killed runs already had everything")
        res = run_sync(clean, killed_db)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(dump(killed_db), dump(clean_db))
        ok = rows(killed_db, "PRAGMA integrity_check")[0][0]
        self.assertEqual(ok, "ok")


if __name__ == "__main__":
    unittest.main()
