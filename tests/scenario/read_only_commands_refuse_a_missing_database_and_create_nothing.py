"""A wrong --db used to create an empty database, and export, push and verify
then exited 0 with nothing in it; doctor created dtcost.db in the current
directory. Commands that only read now refuse a database that does not
exist: exit 66, one line naming it and the next step, and no file appears.
Only sync and license import create one. A sqlite:PATH target is the same
file as PATH to every command. And another program's SQLite database is
refused by every command, sync too (exit 74), before anything in it
changes: no dtcost tables, no WAL mode."""
import hashlib
import os
import sqlite3
import subprocess
import unittest

from dtsync import run_sync, sync_env
from emu import DTCOST, Emulator, tmpdir


class MissingDatabase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator("--days", "5")

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def run_in(self, cwd, *args):
        return subprocess.run([DTCOST, *args], cwd=cwd, env=sync_env(self.emu), capture_output=True, text=True,
                              timeout=60)

    def test_each_reading_command_exits_66_and_creates_nothing(self):
        d = tmpdir()
        db = os.path.join(d, "typo.db")
        hook = f"{self.emu.base}/emu/webhook/never"
        for args in (["report"], ["report", "--format", "json"], ["export", "--format", "csv"], ["verify"],
                     ["push", "webhook", hook], ["serve", "--no-sync", "--max-cycles", "1"]):
            with self.subTest(command=args[0]):
                r = self.run_in(d, *args, "--db", db)
                self.assertEqual(r.returncode, 66, r.stderr)
                self.assertEqual(r.stdout, "")
                self.assertEqual(r.stderr, f"dtcost {args[0]}: database {db} does not exist: run dtcost sync "
                                           "first (or pass --db)\n")
                self.assertEqual(os.listdir(d), [])

    def test_the_default_and_dtcost_db_are_refused_the_same_way(self):
        d = tmpdir()
        r = self.run_in(d, "export")
        self.assertEqual(r.returncode, 66, r.stderr)
        self.assertIn("database dtcost.db does not exist", r.stderr)
        env = sync_env(self.emu, DTCOST_DB=os.path.join(d, "env.db"))
        r = subprocess.run([DTCOST, "verify"], cwd=d, env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 66, r.stderr)
        self.assertIn(f"database {d}/env.db does not exist", r.stderr)
        self.assertEqual(os.listdir(d), [])

    def test_doctor_checks_and_creates_nothing(self):
        d = tmpdir()
        r = self.run_in(d, "doctor")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"\n  database +ok +dtcost.db does not exist yet; dtcost sync creates it")
        self.assertEqual(os.listdir(d), [])

    def test_sync_creates_it_and_then_the_readers_work(self):
        d = tmpdir()
        db = os.path.join(d, "new.db")
        self.assertEqual(run_sync(self.emu, db).returncode, 0)
        r = self.run_in(d, "verify", "--db", db)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_a_sqlite_prefix_names_the_same_file_for_every_command(self):
        d = tmpdir()
        db = os.path.join(d, "new.db")
        self.assertEqual(run_sync(self.emu, db).returncode, 0)
        for target in (db, "sqlite:" + db):
            r = self.run_in(d, "verify", "--db", target)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.run_in(d, "verify", "--db", "sqlite:" + os.path.join(d, "typo.db"))
        self.assertEqual(r.returncode, 66, r.stderr)
        self.assertIn("typo.db does not exist", r.stderr)

    def test_another_programs_database_is_refused_and_left_as_it_was(self):
        d = tmpdir()
        db = os.path.join(d, "other.db")
        con = sqlite3.connect(db)
        con.executescript("CREATE TABLE invoices(id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices(total) VALUES(9.5);")
        con.close()
        with open(db, "rb") as f:
            before = hashlib.sha256(f.read()).hexdigest()
        for args in (["report"], ["verify"], ["export", "--format", "csv"], ["sync"]):
            with self.subTest(command=args[0]):
                r = self.run_in(d, *args, "--db", db)
                self.assertEqual(r.returncode, 74, r.stderr)
                self.assertEqual(r.stderr, f"dtcost {args[0]}: database {db} is a SQLite database of another "
                                           "program (1 table, none of them dtcost's): pass the path of a dtcost "
                                           "database, or a new file\n")
                with open(db, "rb") as f:
                    self.assertEqual(hashlib.sha256(f.read()).hexdigest(), before)
                self.assertEqual(sorted(os.listdir(d)), ["other.db"])


if __name__ == "__main__":
    unittest.main()
