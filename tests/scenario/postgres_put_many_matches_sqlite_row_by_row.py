"""A batch of upserts into PostgreSQL (dtc_store_put_many: a statement of
arrays per few thousand rows) leaves the rows, revisions and counts that the
same upserts one by one leave in SQLite: across statement boundaries, with
keys repeated inside a batch, text an array literal must escape, NULLs,
integer keys, first-seen values and reals; a failing batch leaves nothing;
a batch of new rows goes by COPY, and one that meets a stored row is redone
by the merge to the same rows and counts; `db copy`'s batches into
PostgreSQL fail whole at each failed allocation.
Runs tests/unit/store_batch.c's program against a throwaway cluster."""
import os
import subprocess
import unittest

from emu import DTCOST
from pg import Postgres

PROGRAM = os.path.join(os.path.dirname(DTCOST), "tests", "unit_store_batch")


class PutManyMatchesSqlite(unittest.TestCase):
    def test_store_batch_program_passes_against_postgres(self):
        self.assertTrue(os.access(PROGRAM, os.X_OK), f"{PROGRAM} not built")
        with Postgres() as pg:
            env = dict(os.environ, DTCOST_TEST_PG_URL=pg.createdb("batch"))
            r = subprocess.run([PROGRAM], env=env, capture_output=True, text=True, timeout=240)
            self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-2000:])
            self.assertIn("8 test(s) run", r.stdout + r.stderr)
            # It wrote into PostgreSQL, not into a SQLite file: one schema per test.
            schemas = pg.sql("batch", "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'batch\\_%'")
            self.assertEqual(schemas, [["8"]])
            rows = pg.sql("batch", "SELECT count(*) FROM batch_1.env_cost_day")[0][0]
            self.assertGreater(int(rows), 12000)


if __name__ == "__main__":
    unittest.main()
