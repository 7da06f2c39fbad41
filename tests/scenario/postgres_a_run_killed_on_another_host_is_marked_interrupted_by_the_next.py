"""A sync run left `running` in PostgreSQL by a process on another machine
(a Kubernetes pod that was killed and replaced by one with a new host name)
is marked `interrupted` by the next run on any host, while a run whose
session is still alive elsewhere is left alone: liveness is the run's
session advisory lock on the server, not a pid on the local machine."""
import subprocess
import time
import unittest

from dtsync import run_sync
from emu import Emulator
from pg import Postgres

RUN_LOCK_NS = 1685349234  # src/lib/store/store_pg.c, RUN_LOCK


class RunOnAnotherHost(unittest.TestCase):
    def test_dead_pod_marked_live_session_kept(self):
        with Postgres() as pg, Emulator("--days", "10") as emu:
            url = pg.createdb("runs")
            self.assertEqual(run_sync(emu, url).returncode, 0)

            def running(host):
                return pg.sql("runs", "INSERT INTO sync_run(started_at,status,pid,host) VALUES"
                                      f"('2026-11-30T00:00:00Z','running',1,'{host}') RETURNING id")[0][0]

            dead, alive = running("dtcost-pod-7f9c-gone"), running("dtcost-pod-2b1d-alive")
            # the live run's process, elsewhere: a session holding that run's lock
            holder = subprocess.Popen([f"{pg.bin}/psql", "-h", pg.dir, "-U", "dtcost", "-d", "runs", "-X",
                                       "-q", "-v", "ON_ERROR_STOP=1"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True)
            try:
                holder.stdin.write(f"SELECT pg_advisory_lock({RUN_LOCK_NS}, {alive});\n")
                holder.stdin.flush()
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and pg.sql(
                        "runs", f"SELECT COUNT(*) FROM pg_locks WHERE locktype='advisory' AND objid={alive}"
                                " AND granted") == [["0"]]:
                    time.sleep(0.05)
                self.assertLess(time.monotonic(), deadline, "psql never held the run's lock")

                r = run_sync(emu, url)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(pg.sql("runs", f"SELECT status FROM sync_run WHERE id={dead}"), [["interrupted"]],
                                 "a run whose pod is gone stays 'running' for ever")
                self.assertEqual(pg.sql("runs", f"SELECT status FROM sync_run WHERE id={alive}"), [["running"]],
                                 "a run whose session is alive was taken for a dead one")
            finally:
                holder.stdin.close()
                holder.wait(timeout=30)

            # its session gone, the next run marks it too
            self.assertEqual(run_sync(emu, url).returncode, 0)
            self.assertEqual(pg.sql("runs", f"SELECT status FROM sync_run WHERE id={alive}"), [["interrupted"]])
            # and no run of ours is left holding its lock
            self.assertEqual(pg.sql("runs", f"SELECT COUNT(*) FROM pg_locks WHERE locktype='advisory'"
                                            f" AND classid={RUN_LOCK_NS}"), [["0"]])


if __name__ == "__main__":
    unittest.main()
