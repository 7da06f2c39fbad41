"""`dtcost db copy` refuses, in one line with its exit code, what it must not
touch: a --from that does not exist (exit 66, naming it; no --to appears)
and a --to whose schema is newer than this dtcost, SQLite or PostgreSQL
(exit 74, "upgrade dtcost"; its rows as they were). Three days of an
account: the claims are the refusals, the round trip has its own test."""
import os
import sqlite3
import subprocess
import unittest

from dtsync import dump, rows, run_sync
from emu import DTCOST, Emulator, tmpdir
from pg import Postgres, skip_without_postgres


def copy(a, b):
    return subprocess.run([DTCOST, "db", "copy", "--from", a, "--to", b], capture_output=True, text=True,
                          timeout=120)


class DbCopyRefusals(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        skip_without_postgres()  # before any output: the skip is one line
        cls.dir = tmpdir()
        cls.lite = os.path.join(cls.dir, "a.db")
        with Emulator("--days", "3") as emu:
            r = run_sync(emu, cls.lite)
            assert r.returncode == 0, r.stderr

    def test_a_missing_source_is_exit_66_and_creates_nothing(self):
        missing, target = os.path.join(self.dir, "missing.db"), os.path.join(self.dir, "never.db")
        r = copy(missing, target)
        self.assertEqual(r.returncode, 66, r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn(f"{missing} does not exist", r.stderr)
        self.assertFalse(os.path.exists(missing))
        self.assertFalse(os.path.exists(target))

    def test_a_sqlite_target_newer_than_dtcost_is_left_as_it_was(self):
        target = os.path.join(self.dir, "newer.db")
        r = copy(self.lite, target)
        self.assertEqual(r.returncode, 0, r.stderr)
        with sqlite3.connect(target) as con:
            con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
            con.execute("DELETE FROM env_cost_day WHERE day = (SELECT MIN(day) FROM env_cost_day)")
        before = dump(target)
        r = copy(self.lite, target)
        self.assertEqual(r.returncode, 74, r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("upgrade dtcost", r.stderr)
        self.assertEqual(dump(target), before, "the refused copy wrote to the newer database")
        self.assertEqual(rows(target, "SELECT value FROM meta WHERE key = 'schema_version'"), [("99",)])

    def test_a_postgresql_target_newer_than_dtcost_is_left_as_it_was(self):
        with Postgres() as pg:
            url = pg.createdb("dtcost")
            r = copy(self.lite, url)
            self.assertEqual(r.returncode, 0, r.stderr)
            version = pg.sql("dtcost", "SELECT value FROM meta WHERE key = 'schema_version'")
            pg.sql("dtcost", "UPDATE meta SET value = '99' WHERE key = 'schema_version'")
            pg.sql("dtcost", "DELETE FROM env_cost_day WHERE day = (SELECT MIN(day) FROM env_cost_day)")
            count = pg.sql("dtcost", "SELECT COUNT(*) FROM env_cost_day")
            r = copy(self.lite, url)
            self.assertEqual(r.returncode, 74, r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertIn("upgrade dtcost", r.stderr)
            self.assertEqual(pg.sql("dtcost", "SELECT COUNT(*) FROM env_cost_day"), count,
                             "the refused copy wrote to the newer database")
            self.assertEqual(pg.sql("dtcost", "SELECT value FROM meta WHERE key = 'schema_version'"), [["99"]])
            self.assertNotEqual(version, [["99"]])


if __name__ == "__main__":
    unittest.main()
