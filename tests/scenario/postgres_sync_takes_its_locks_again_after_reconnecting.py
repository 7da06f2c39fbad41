"""Against PostgreSQL: the server drops a session's advisory locks with the
session, so a sync that reconnects after a restart takes its locks again.
Once it says it is back, a second sync of the same account waits for it and
gives up after `--lock-wait 1` with exit 73 (not two syncs of one account at
once), and the run's own lock is held again (so a run starting meanwhile
would not mark it interrupted); the first sync then ends ok. "Back" is
when the server lists both locks as a dtcost session's again (pg_locks),
not the "reconnected" line: that comes when the last connection to notice
the loss is back, and the run's own connection, idle between requests, may
notice only later."""
import os
import queue
import subprocess
import threading
import time
import unittest

from dtsync import run_sync, sync_env
from emu import ACCOUNT, DTCOST, Emulator
from pg import Postgres, wait_until

FLAGS = ("--days", "60", "--environments", "4", "--capabilities", "6", "--latency-ms", "60")


class LocksTakenAgain(unittest.TestCase):
    def test_account_and_run_locks_are_held_again_after_a_restart(self):
        with Postgres() as pg, Emulator(*FLAGS) as emu:
            url = pg.createdb("locks")
            first = subprocess.Popen([DTCOST, "sync", "--db", url, "--quiet", "--retry-base-ms", "20",
                                      "--db-retry", "60"], env=sync_env(emu), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
            lines = queue.Queue()
            reader = threading.Thread(target=lambda: [lines.put(l) for l in first.stderr], daemon=True)
            reader.start()
            try:
                wait_until(pg, "locks", "SELECT COUNT(*) FROM env_cost_day", 0, first)
                pg.stop("fast")
                time.sleep(1)
                pg.restart()
                run_id = pg.sql("locks", "SELECT MAX(id) FROM sync_run")[0][0]
                # the run's lock (two keys) and the account's (one bigint
                # key) held by a dtcost session of the restarted server
                self.assertTrue(wait_until(pg, "locks", "SELECT COUNT(DISTINCT l.objsubid) FROM pg_locks l JOIN"
                                                        " pg_stat_activity a USING (pid) WHERE l.granted AND"
                                                        " l.locktype = 'advisory' AND a.application_name = 'dtcost'"
                                                        " AND (l.objsubid = 1 OR (l.classid = 1685349234 AND"
                                                        f" l.objid = {run_id}))", 1, first, limit=60),
                                "the locks were not taken again")
                self.assertIsNone(first.poll(), "the first sync ended before it could be checked")
                # From another session: each lock is taken by someone else.
                held = pg.sql("locks", f"SELECT pg_try_advisory_lock(hashtextextended('dtcost ' ||"
                                       f" 'sync of account {ACCOUNT}', 0)),"
                                       f" pg_try_advisory_lock(1685349234, {run_id})")
                second = run_sync(emu, url, "--lock-wait", "1")
                self.assertEqual(held, [["f", "f"]], "the account's or the run's lock was not taken again")
                self.assertEqual(second.returncode, 73, second.stderr)
                self.assertIn(f"sync of account {ACCOUNT} is locked by another dtcost", second.stderr)
                out = first.stdout.read()
                first.wait(timeout=180)
            finally:
                if first.poll() is None:
                    first.kill()
            reader.join(timeout=30)
            rest = []
            while not lines.empty():
                rest.append(lines.get())
            self.assertEqual(first.returncode, 0, "".join(rest))
            self.assertTrue(any("reconnected" in l for l in rest), "".join(rest))
            self.assertEqual(pg.sql("locks", "SELECT status FROM sync_run ORDER BY id"), [["ok"]], out)


if __name__ == "__main__":
    unittest.main()
