"""Against PostgreSQL: a network cut that closes only the client's side of
a connection, where the server has not noticed (the old session lives on,
idle in its transaction, holding the run's lock and the rows it wrote),
costs the sync nothing and never hangs it. On reconnecting, `dtcost sync`
ends its old session (pg_terminate_backend: the same role may), which frees
its locks and aborts its transaction; it takes the run's lock again, redoes
the chunk and exits 0 well within --db-retry: the database and the run
log's counts equal an uninterrupted run's, and no session is left behind.
Once for the run's own connection (cut at a daily cost chunk's COMMIT) and
once for the cost-allocation writer's (cut at an allocation chunk's
COMMIT), in one cluster. Without ending the old session, the first exited
73 (the run's lock "held by another session") and the second waited
forever on the old session's row locks."""
import os
import subprocess
import time
import unittest

from dtsync import FACT_TABLES, dump, rows, run_sync
from emu import Emulator, tmpdir
from pg import Postgres, Relay, to_sqlite

FLAGS = ("--days", "60", "--environments", "4", "--capabilities", "6")
COUNTS = "SELECT status, inserted, updated, restated_days, message FROM sync_run ORDER BY id"
WINDOW = 20  # --db-retry


class ClientSideCut(Relay):
    """At the first COMMIT of a transaction that wrote to table, closes the
    client's side only, without passing the COMMIT on."""

    def __init__(self, server_socket, table):
        super().__init__(server_socket)
        self.marks = (b"COPY " + table + b"(", b"INSERT INTO " + table + b"(")
        self.fired = False

    def decide(self, kind, body, state):
        if any(m in body for m in self.marks):
            state["wrote"] = True
        if kind == b"Q" and body.startswith(b"COMMIT") and state.get("wrote"):
            state["wrote"] = False
            with self.lock:
                if not self.fired:
                    self.fired = True
                    return "cut_client"
        return None


class OldSessionEnded(unittest.TestCase):
    def test_a_cut_of_the_runs_connection_and_of_the_writers_each_end_the_old_session(self):
        d = tmpdir()
        with Postgres() as pg, Emulator(*FLAGS) as emu:
            clean = os.path.join(d, "clean.db")
            self.assertEqual(run_sync(emu, clean).returncode, 0)
            for name, table in (("run", b"env_cost_day"), ("writer", b"cost_allocation")):
                with self.subTest(connection=name):
                    pg.createdb(name)
                    proxy = ClientSideCut(os.path.join(pg.dir, ".s.PGSQL.5432"), table)
                    t0 = time.monotonic()
                    try:
                        r = run_sync(emu, proxy.url(name), "--db-retry", str(WINDOW), timeout=3 * WINDOW)
                        took = time.monotonic() - t0
                        # the old session's server side is still open here: it must have been ended
                        left = pg.sql(name, "SELECT state FROM pg_stat_activity WHERE datname = current_database()"
                                            " AND application_name = 'dtcost'")
                    except subprocess.TimeoutExpired:
                        self.fail(f"the sync hung for {3 * WINDOW} s after the cut")
                    finally:
                        proxy.stop()
                    self.assertTrue(proxy.fired, "no COMMIT after a write went through the proxy")
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertLess(took, WINDOW, r.stderr)
                    self.assertEqual(left, [], "a session of the sync is left on the server")
                    self.assertRegex(r.stderr, r"warning: database: reconnected after \d+ s; redoing the"
                                               r" transaction in flight\n")
                    got = to_sqlite(pg.url(name), os.path.join(d, f"{name}.db"))
                    self.assertTrue(dump(got, FACT_TABLES) == dump(clean, FACT_TABLES),
                                    "after the cut, the data differs")
                    self.assertEqual(pg.sql(name, COUNTS), [[c[0], str(c[1]), str(c[2]), str(c[3]), c[4]]
                                                            for c in rows(clean, COUNTS)])


if __name__ == "__main__":
    unittest.main()
