"""Against PostgreSQL: when the connection drops after a chunk's COMMIT
reached the server but before its answer came back (the one case where the
client cannot know whether the chunk is stored), `dtcost sync` reconnects,
asks the server what became of that transaction (txid_status), finds it
committed and does not redo it: the run ends ok, the database equals one
uninterrupted run, and the run log counts each row once (a redo would have
found the chunk's rows stored already and counted them as unchanged).

The drop is made by a proxy between dtcost and the server's Unix socket
that reads the client's messages and, at the Nth COMMIT of a transaction
that wrote facts, passes the COMMIT on and closes both sides as soon as the
server answers (lib/pg.py's Relay).

And when the connection is lost again while reconnecting (a flapping
failover), the transaction to ask about is still the one whose answer was
lost: with the answer to the run's own first COMMIT (its sync_run row)
dropped, and the first statement of the reconnect's new session lost too,
the run is still one row in the run log (before, the second loss erased
the id, the run's start was redone: a second row, left `running`).

And after a crash, the transaction in flight may have an id the restarted
server never reached (nothing of it was written: txid_status says "in the
future"): it did not commit, and is redone (before: exit 74 on that
error). The sync's start is held at its COMMIT (sent, never answered: its
fate is asked), after its BEGIN took an id, while the server is stopped
with -m immediate and started again."""
import os
import subprocess
import unittest

from dtsync import FACT_TABLES, dump, run_sync, rows, sync_env
from emu import DTCOST, Emulator, tmpdir
from pg import HoldRunStart, Postgres, Relay, to_sqlite

FLAGS = ("--days", "60", "--environments", "4", "--capabilities", "6")
DROP_AT = 12  # the 12th COMMIT of a transaction that wrote facts: a page or a walk
COUNTS = "SELECT status, inserted, updated, restated_days, message FROM sync_run ORDER BY id"


class CommitAnswerDropper(Relay):
    """Drops the answer to the drop_at-th COMMIT of a transaction that wrote facts."""

    def __init__(self, server_socket, drop_at):
        super().__init__(server_socket)
        self.drop_at = drop_at
        self.commits = 0
        self.dropped = False

    def decide(self, kind, body, state):
        if kind in (b"Q", b"P") and b"txid_current()" in body:
            state["xid"], state["rows"] = True, False  # a write transaction (store_pg.c)
        if (kind == b"Q" and b"COPY " in body) or (kind == b"B" and body.startswith(b"\x00put")):
            state["rows"] = True  # facts: a COPY, or the merge's prepared statement
        if kind == b"Q" and body.startswith(b"COMMIT") and state.get("xid") and state.get("rows"):
            state["xid"] = False
            with self.lock:
                self.commits += 1
                if self.commits == self.drop_at:
                    self.dropped = True
                    return "drop_answer"
        return None


class FlapAfterLostAnswer(Relay):
    """Drops the answer to the COMMIT that made the run's sync_run row,
    then the answer to the first statement of the next connection made."""

    def __init__(self, server_socket):
        super().__init__(server_socket)
        self.conns = 0
        self.dropped = self.flapped = False

    def decide(self, kind, body, state):
        with self.lock:
            if "n" not in state:
                self.conns += 1
                state["n"], state["after_drop"] = self.conns, self.dropped
            if b"INSERT INTO sync_run" in body:
                state["run"] = True
            if kind == b"Q" and body.startswith(b"COMMIT") and state.get("run") and not self.dropped:
                self.dropped = True
                return "drop_answer"
            if kind == b"Q" and state["after_drop"] and not self.flapped:
                self.flapped = True
                return "drop_answer"
        return None


class CommitAnswerLost(unittest.TestCase):
    def test_a_committed_chunk_is_not_redone_or_counted_twice(self):
        d = tmpdir()
        with Postgres() as pg, Emulator(*FLAGS) as emu:
            clean = os.path.join(d, "clean.db")
            self.assertEqual(run_sync(emu, clean).returncode, 0)
            pg.createdb("dropped")
            proxy = CommitAnswerDropper(os.path.join(pg.dir, ".s.PGSQL.5432"), DROP_AT)
            try:
                r = run_sync(emu, proxy.url("dropped"), "--db-retry", "30")
            finally:
                proxy.stop()
            self.assertTrue(proxy.dropped, f"only {proxy.commits} commits went through the proxy")
            self.assertEqual(r.returncode, 0, r.stderr)
            got = to_sqlite(pg.url("dropped"), os.path.join(d, "dropped.db"))
            self.assertTrue(dump(got, FACT_TABLES) == dump(clean, FACT_TABLES),
                            "after the lost answer, the data differs")
            # counted once, and no error text left over from the loss in the run's message
            self.assertEqual(pg.sql("dropped", COUNTS), [[c[0], str(c[1]), str(c[2]), str(c[3]), c[4]]
                                                          for c in rows(clean, COUNTS)])
            self.assertEqual(pg.sql("dropped", "SELECT COUNT(*) FROM revision"), [["0"]])
            self.assertRegex(r.stderr, r"warning: database: commit: the PostgreSQL connection was lost \(.*\);"
                                       r" retrying for up to 30 s\n")
            self.assertRegex(r.stderr, r"warning: database: reconnected after \d+ s; the transaction in flight had"
                                       r" committed\n")

            pg.createdb("flapped")
            proxy = FlapAfterLostAnswer(os.path.join(pg.dir, ".s.PGSQL.5432"))
            try:
                r = run_sync(emu, proxy.url("flapped"), "--db-retry", "30")
            finally:
                proxy.stop()
            self.assertTrue(proxy.dropped and proxy.flapped, f"{proxy.conns} connections went through the proxy")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(pg.sql("flapped", COUNTS), [[c[0], str(c[1]), str(c[2]), str(c[3]), c[4]]
                                                          for c in rows(clean, COUNTS)])
            self.assertRegex(r.stderr, r"warning: database: reconnected after \d+ s; the transaction in flight had"
                                       r" committed\n")

            pg.createdb("future")
            proxy = HoldRunStart(os.path.join(pg.dir, ".s.PGSQL.5432"), at_commit=True)
            sync = subprocess.Popen([DTCOST, "sync", "--db", proxy.url("future"), "--retry-base-ms", "20",
                                     "--db-retry", "30"], env=sync_env(emu), stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            try:
                self.assertTrue(proxy.held.wait(timeout=60), "the run's start never reached the proxy")
                offset = os.path.getsize(pg.log)
                pg.stop("immediate")
                pg.restart()
                proxy.release.set()
                _, err = sync.communicate(timeout=120)
            finally:
                if sync.poll() is None:
                    sync.kill()
                proxy.stop()
            self.assertEqual(sync.returncode, 0, err)
            with open(pg.log, errors="replace") as f:
                f.seek(offset)
                self.assertIn("is in the future", f.read(), "the server was not asked about an id it never reached")
            self.assertRegex(err, r"warning: database: reconnected after \d+ s; redoing the transaction in flight\n")
            self.assertEqual(pg.sql("future", COUNTS), [[c[0], str(c[1]), str(c[2]), str(c[3]), c[4]]
                                                         for c in rows(clean, COUNTS)])


if __name__ == "__main__":
    unittest.main()
