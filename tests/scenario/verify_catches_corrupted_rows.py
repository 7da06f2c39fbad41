"""`dtcost verify` reconciles a freshly synced database (exit 0, zero
discrepancies, every check listed with its count) and catches each kind of
damage with its size: an environment cost changed beyond rounding, a deleted
daily row (a missing day, and environment costs without a total), a budget
that no longer matches the period's cost, a row in another currency (exit 65
each, one line per discrepancy; as CSV a header and a row each, with the
summary on stderr); errors go to stderr."""
import csv
import io
import json
import os
import re
import sqlite3
import subprocess
import unittest

from dtsync import synced_copy
from dtverify import CorruptsCopies, verify
from emu import DTCOST, tmpdir

CHECKS = ["environment costs != daily cost", "environment costs without a daily cost",
          "budget used != cost in the current period", "day missing inside the synced range",
          "currency differs from the subscription's", "daily cost without environment costs",
          "environment missing on a day inside its range", "cost allocation != environment cost",
          "environment cost without cost allocation"]


class VerifyCatchesCorruption(CorruptsCopies, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        cls.clean = os.path.join(cls.dir, "clean.db")
        synced_copy(cls.clean, "--days", "40", "--environments", "4")  # synced once for the verify tests
        con = sqlite3.connect(cls.clean)
        # A day well inside the synced range of an active subscription.
        cls.sub, cls.day, cls.env, cls.cap, cls.cur = con.execute(
            "SELECT e.subscription_uuid, e.day, e.environment_id, e.capability_key, e.currency"
            " FROM env_cost_day e JOIN subscription s ON s.uuid = e.subscription_uuid"
            " WHERE s.status = 'ACTIVE' AND e.day = (SELECT DISTINCT day FROM env_cost_day"
            "                                      ORDER BY day DESC LIMIT 1 OFFSET 10)"
            " ORDER BY e.subscription_uuid, e.environment_id LIMIT 1").fetchone()
        con.close()

    def test_clean_database_reconciles(self):
        r = verify(self.clean)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"9 checks over 3 subscriptions and \d+ days: everything reconciles")
        self.assertEqual(r.stderr, "")
        for name in CHECKS:
            self.assertRegex(r.stdout, rf"(?m)^ +0  {re.escape(name)}$")
        r = verify(self.clean, "--json")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 1, r.stdout)
        summary = json.loads(lines[0])
        self.assertEqual((summary["checks"], summary["discrepancies"]), (9, 0))
        self.assertEqual(summary["by_check"], [{"check": name, "discrepancies": 0} for name in CHECKS])

    def test_cost_changed_beyond_rounding_is_caught_with_its_size(self):
        n = self.env_rows_of_day()
        db = self.corrupted(("UPDATE env_cost_day SET cost_micro = cost_micro + 412 WHERE subscription_uuid=? "
                             "AND day=? AND environment_id=? AND capability_key=?",
                             self.sub, self.day, self.env, self.cap))
        r = verify(db)
        self.assertEqual(r.returncode, 65, r.stdout)
        lines = [l for l in r.stdout.splitlines() if l.startswith("environment costs != daily cost")]
        self.assertEqual(len(lines), 1, r.stdout)
        self.assertIn(f"environment costs != daily cost: subscription {self.sub}, day {self.day}: expected ", lines[0])
        tol = (n + 2) // 2
        self.assertRegex(lines[0], rf" {self.cur}: differs by 0\.000412, more than the 0\.0000{tol:02d} that "
                                   rf"rounding {n} rows to micro-units allows$")
        self.assertRegex(r.stdout, r"(?m)^ +1  environment costs != daily cost$")

    def test_csv_is_a_header_and_a_row_per_discrepancy_with_the_summary_on_stderr(self):
        def csv_of(db):
            r = subprocess.run([DTCOST, "verify", "--db", db, "--format", "csv"], capture_output=True, timeout=60)
            out = r.stdout.decode()
            self.assertTrue(r.stdout.endswith(b"\r\n") and r.stdout.count(b"\n") == r.stdout.count(b"\r\n"), out)
            return r.returncode, list(csv.reader(io.StringIO(out, newline=""))), r.stderr.decode()
        rc, rows, err = csv_of(self.clean)  # nothing to list: the header alone
        self.assertEqual(rc, 0, err)
        header = rows[0]
        self.assertEqual(rows, [header])
        self.assertEqual(header[:4], ["check", "subscription", "day", "table"])
        self.assertRegex(err, r"^dtcost verify: 9 checks over 3 subscriptions and \d+ days: everything reconciles\n$")
        db = self.corrupted(("UPDATE env_cost_day SET cost_micro = cost_micro + 412 WHERE subscription_uuid=? "
                             "AND day=? AND environment_id=? AND capability_key=?",
                             self.sub, self.day, self.env, self.cap))
        rc, rows, err = csv_of(db)
        self.assertEqual(rc, 65, err)
        self.assertEqual(rows[0], header)
        self.assertEqual([r[:3] for r in rows[1:]], [["environment costs != daily cost", self.sub, self.day]])
        self.assertIn("discrepancies in the rows", err)

    def test_one_micro_unit_on_a_day_of_many_rows_is_rounding(self):
        self.assertGreaterEqual(self.env_rows_of_day(), 10)
        db = self.corrupted(("UPDATE env_cost_day SET cost_micro = cost_micro + 1 WHERE subscription_uuid=? "
                             "AND day=? AND environment_id=? AND capability_key=?",
                             self.sub, self.day, self.env, self.cap))
        r = verify(db)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("everything reconciles", r.stdout)

    def env_rows_of_day(self):
        con = sqlite3.connect(self.clean)
        try:
            return con.execute("SELECT COUNT(*) FROM env_cost_day WHERE subscription_uuid=? AND day=?",
                               (self.sub, self.day)).fetchone()[0]
        finally:
            con.close()

    def test_deleted_daily_row_is_a_missing_day(self):
        db = self.corrupted(("DELETE FROM cost_day WHERE subscription_uuid=? AND day=?", self.sub, self.day))
        r = verify(db, "--json")
        self.assertEqual(r.returncode, 65, r.stdout)
        self.assertIn(f'"check":"day missing inside the synced range","subscription":"{self.sub}",'
                      f'"day":"{self.day}","table":"cost_day"', r.stdout)
        self.assertIn(f'"check":"environment costs without a daily cost","subscription":"{self.sub}",'
                      f'"day":"{self.day}"', r.stdout)
        self.assertIn(f'"check":"budget used != cost in the current period","subscription":"{self.sub}"',
                      r.stdout)

    def test_budget_and_currency(self):
        db = self.corrupted(("UPDATE subscription SET budget_used_micro = budget_used_micro - 2500000 WHERE uuid=?",
                             self.sub),
                            ("UPDATE env_cost_day SET currency='XXX' WHERE subscription_uuid=? AND day=?",
                             self.sub, self.day))
        r = verify(db)
        self.assertEqual(r.returncode, 65, r.stdout)
        budget = [l for l in r.stdout.splitlines() if l.startswith("budget used")]
        self.assertEqual(len(budget), 1, r.stdout)
        self.assertIn(": differs by 2.500000, more than the ", budget[0])
        self.assertRegex(r.stdout, rf"currency differs from the subscription's: subscription {self.sub}, "
                                   rf"\d+ rows of XXX in env_cost_day from {self.day} on")

    def test_missing_database_and_empty_database(self):
        missing = os.path.join(self.dir, "none.db")
        r = verify(missing)
        self.assertEqual(r.returncode, 66)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr, f"dtcost verify: database {missing} does not exist: run dtcost sync first "
                                   "(or pass --db)\n")
        self.assertFalse(os.path.exists(missing))
        open(os.path.join(self.dir, "empty.db"), "w").close()  # an empty SQLite file
        r = verify(os.path.join(self.dir, "empty.db"))
        self.assertEqual(r.returncode, 66)
        self.assertEqual(r.stdout, "")
        self.assertIn("run dtcost sync first", r.stderr)


if __name__ == "__main__":
    unittest.main()
