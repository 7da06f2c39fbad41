"""`dtcost db copy` into PostgreSQL writes a table in batches (store.c:
COPY_ROWS, 5,000 rows), yet stays one transaction: with a fact table and the
revision log three batches long each, a row of the third batch that the
target refuses fails the copy with one line, exit 74, and leaves every table
and the id sequences as they were, though the batches before it had been
written. Without the refusal the same copy overwrites a row the target
held under a key of that late batch (its COPY refused, the batch redone by
the merge), and the round trip back to SQLite is exact across the batch
boundaries, text that COPY and array literals escape included; copying
again changes nothing."""
import os
import sqlite3
import subprocess
import unittest

from dtsync import FACT_TABLES, dump, run_sync
from emu import DTCOST, Emulator, tmpdir
from pg import Postgres, to_sqlite

ALL_TABLES = FACT_TABLES + ["cost_allocation_value", "lic_env_hour", "lic_ddu_hour", "lic_host_hour", "lic_file",
                            "revision", "sync_run", "checkpoint", "coverage", "outbox_batch", "outbox_record",
                            "push_record"]
BATCH = 5000  # store.c: COPY_ROWS
BULK = 2 * BATCH + 2345  # three batches of each bulk table
AWKWARD = ["tab\there", "new\nline", "back\\slash", 'quote"d', "{brace,comma}", "NULL", "", "cr\rlf",
           "\\N", "caf\u00e9 \u20ac", "'single'"]
LATE = 2 * BATCH + 1000  # a row of the third batch: the target holds another value under its key
REFUSED = 2 * BATCH + 2000  # a row of the third batch the target's CHECK refuses


def copy(a, b):
    return subprocess.run([DTCOST, "db", "copy", "--from", a, "--to", b], capture_output=True, text=True,
                          timeout=240)


def bulk_env_cost(i):
    """Row i of the bulk env_cost_day rows: keys after every synced row's
    (their subscription sorts last), so row i is the i-th of the bulk."""
    name = "refused" if i == REFUSED else AWKWARD[i % len(AWKWARD)] + str(i)
    return ("zzzz-bulk", f"env-{i:06d}", AWKWARD[i % len(AWKWARD)], "2026-01-01",
            (i - 6000) * 1234567, "EUR" if i % 3 else None, "2026-01-02", None if i % 5 else "cluster\t1",
            name)


class DbCopyBatches(unittest.TestCase):
    def test_late_refusal_leaves_target_and_round_trip_is_exact(self):
        d = tmpdir()
        lite = os.path.join(d, "a.db")
        with Postgres() as pg, Emulator("--days", "3") as emu:
            self.assertEqual(run_sync(emu, lite).returncode, 0)
            url = pg.createdb("dtcost")
            self.assertEqual(copy(lite, url).returncode, 0)  # the target's own rows before the bulk

            con = sqlite3.connect(lite)
            synced = con.execute("SELECT COUNT(*) FROM env_cost_day").fetchone()[0]
            con.executemany("INSERT INTO env_cost_day VALUES (?,?,?,?,?,?,?,?,?)",
                            [bulk_env_cost(i) for i in range(BULK)])
            first_id = con.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM revision").fetchone()[0]
            revisions = con.execute("SELECT COUNT(*) FROM revision").fetchone()[0]
            con.executemany("INSERT INTO revision VALUES (?,?,?,?,?,?,?,?)",
                            [(first_id + i, 1, "env_cost_day", AWKWARD[i % len(AWKWARD)] + f"|{i}",
                              str(i) if i % 4 else None, f"{i}.5", AWKWARD[(i + 3) % len(AWKWARD)],
                              "2026-01-03T00:00:00Z") for i in range(BULK)])
            con.commit()
            order = [r[0] for r in con.execute("SELECT environment_id FROM env_cost_day")]
            con.close()
            # The rows reach the copy in the order the SELECT gives them: the
            # refused and the conflicting rows are in the third batch.
            self.assertGreaterEqual(order.index(f"env-{LATE:06d}"), 2 * BATCH)
            self.assertGreaterEqual(order.index(f"env-{REFUSED:06d}"), 2 * BATCH)
            self.assertGreater(revisions + BULK, 2 * BATCH)

            late = bulk_env_cost(LATE)
            key = late[2].replace("'", "''")
            pg.sql("dtcost", f"INSERT INTO env_cost_day VALUES ('zzzz-bulk', 'env-{LATE:06d}', '{key}',"
                             " '2026-01-01', 1, 'USD', NULL, NULL, 'the target''s own')")
            pg.sql("dtcost", "ALTER TABLE env_cost_day ADD CONSTRAINT no_refused"
                             " CHECK (capability_name IS DISTINCT FROM 'refused')")
            sequences = " UNION ALL ".join(f"SELECT last_value, is_called FROM {t}_id_seq"
                                           for t in ("revision", "sync_run", "outbox_batch"))
            before = dump(to_sqlite(url, os.path.join(d, "before.db")), ALL_TABLES)
            seq_before = pg.sql("dtcost", sequences)

            r = copy(lite, url)
            self.assertEqual(r.returncode, 74, r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertIn("no_refused", r.stderr)
            self.assertIn("nothing written", r.stderr)
            after = dump(to_sqlite(url, os.path.join(d, "after.db")), ALL_TABLES)
            self.assertTrue(after == before, "a refused copy changed the target")
            self.assertEqual(pg.sql("dtcost", sequences), seq_before)

            pg.sql("dtcost", "ALTER TABLE env_cost_day DROP CONSTRAINT no_refused")
            first = copy(lite, url)
            self.assertEqual(first.returncode, 0, first.stderr)
            self.assertEqual(pg.sql("dtcost", "SELECT COUNT(*) FROM env_cost_day"), [[str(synced + BULK)]])
            self.assertEqual(pg.sql("dtcost", f"SELECT cost_micro, capability_name FROM env_cost_day"
                                              f" WHERE environment_id = 'env-{LATE:06d}'"),
                             [[str(late[4]), late[8]]])
            again = copy(lite, url)
            self.assertEqual(again.returncode, 0, again.stderr)
            self.assertEqual(again.stdout, first.stdout)
            back = to_sqlite(url, os.path.join(d, "back.db"))
            self.assertTrue(dump(back, ALL_TABLES) == dump(lite, ALL_TABLES), "the round trip changed a table")


if __name__ == "__main__":
    unittest.main()
