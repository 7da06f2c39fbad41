"""Killing `dtcost sync` with SIGKILL at five different moments of a run and
running it again gives the same database as one uninterrupted run, cost
allocation included: walks are stored whole with the days they covered, and
the rerun reads what the killed run left. The killed run is marked
`interrupted` by the next one. Against live paging and the documented one."""
import os
import signal
import subprocess
import time
import unittest

from dtsync import dump, rows, run_sync, sync_env
from emu import DTCOST, Emulator, tmpdir

# 60 days are 9 per-environment chunks and 3 cost-allocation chunks (7 and
# 28 days each), so the kills land in every phase of a run.
FLAGS = ("--days", "60", "--environments", "6", "--capabilities", "8")
# Latency stretches the run to a few seconds so the kills land inside it.
SLOW = ("--latency-ms", "15")


def logged(emu):
    """Requests the emulator has answered so far (its request log)."""
    with open(emu.log_path, "rb") as f:
        return f.read().count(b"\n")


def kill_after(proc, emu, requests, bound=60.0):
    """SIGKILL proc once the emulator has answered `requests` more requests: a
    moment measured in the run's own progress, so a loaded machine moves it
    no more than a quiet one. False when the run ended first."""
    start, deadline = logged(emu), time.monotonic() + bound
    while logged(emu) - start < requests and time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    return proc.returncode == -signal.SIGKILL


class SyncResumes(unittest.TestCase):
    def resumes(self, paging, fractions):
        d = tmpdir()
        clean_db = os.path.join(d, "clean.db")
        with Emulator(*FLAGS, *SLOW, "--paging", paging, "--page-size-max", "1000") as emu:
            before = logged(emu)
            res = run_sync(emu, clean_db)
            total = logged(emu) - before
            self.assertEqual(res.returncode, 0, res.stderr)
            clean = dump(clean_db)  # read once: every rerun is compared with it
            for at in (max(1, round(f * total)) for f in fractions):
                delay = f"request {at} of {total}"
                db = os.path.join(d, f"killed-{paging}-{at}.db")
                proc = subprocess.Popen([DTCOST, "sync", "--db", db, "--quiet"], env=sync_env(emu),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                self.assertTrue(kill_after(proc, emu, at), f"sync finished before the kill at {delay}")
                self.assertTrue(dump(db) != clean, f"the run killed at {delay} already had everything")
                res = run_sync(emu, db)
                self.assertEqual(res.returncode, 0, res.stderr)
                self.assertIn("marked interrupted", res.stderr)
                self.assertTrue(dump(db) == clean, f"killed at {delay}, the rerun differs")
                self.assertEqual(rows(db, "SELECT status FROM sync_run ORDER BY id"), [("interrupted",), ("ok",)])
                self.assertEqual(rows(db, "PRAGMA integrity_check")[0][0], "ok")

    def test_killed_at_five_moments_then_rerun_equals_uninterrupted_run(self):
        self.resumes("live", (0.05, 0.2, 0.35, 0.5, 0.65))

    def test_the_same_with_documented_paging(self):
        self.resumes("docs", (0.2, 0.6))


if __name__ == "__main__":
    unittest.main()
