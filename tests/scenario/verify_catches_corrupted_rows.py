"""`dtcost verify` reconciles a freshly synced database (exit 0) and catches
each kind of damage with its size: an environment cost one micro-unit off, a
deleted daily row (a missing day, and environment costs without a total), a
budget that no longer matches the period's cost, a row in another currency
(exit 65 each, one line per discrepancy)."""
import os
import shutil
import sqlite3
import subprocess
import unittest

from dtsync import run_sync
from emu import DTCOST, Emulator, tmpdir


def verify(db, *args):
    return subprocess.run([DTCOST, "verify", "--db", db, *args], capture_output=True, text=True, timeout=60)


class VerifyCatchesCorruption(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        cls.clean = os.path.join(cls.dir, "clean.db")
        with Emulator("--days", "60") as emu:
            res = run_sync(emu, cls.clean)
            assert res.returncode == 0, res.stderr
        con = sqlite3.connect(cls.clean)
        # A day well inside the synced range of an active subscription.
        cls.sub, cls.day, cls.env, cls.cap, cls.cur = con.execute(
            "SELECT e.subscription_uuid, e.day, e.environment_id, e.capability_key, e.currency"
            " FROM env_cost_day e JOIN subscription s ON s.uuid = e.subscription_uuid"
            " WHERE s.status = 'ACTIVE' AND e.day = (SELECT DISTINCT day FROM env_cost_day"
            "                                      ORDER BY day DESC LIMIT 1 OFFSET 10)"
            " ORDER BY e.subscription_uuid, e.environment_id LIMIT 1").fetchone()
        con.close()

    def corrupted(self, *sql):
        path = os.path.join(self.dir, f"{self._testMethodName}.db")
        shutil.copy(self.clean, path)
        con = sqlite3.connect(path)
        for q in sql:
            con.execute(q[0], q[1:])
        con.commit()
        con.close()
        return path

    def test_clean_database_reconciles(self):
        r = verify(self.clean)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"5 checks over 3 subscriptions and \d+ days: everything reconciles")

    def test_one_micro_unit_off_is_caught_with_its_size(self):
        db = self.corrupted(("UPDATE env_cost_day SET cost_micro = cost_micro + 1 WHERE subscription_uuid=? "
                             "AND day=? AND environment_id=? AND capability_key=?",
                             self.sub, self.day, self.env, self.cap))
        r = verify(db)
        self.assertEqual(r.returncode, 65, r.stdout)
        lines = [l for l in r.stdout.splitlines() if l.startswith("environment costs != daily cost")]
        self.assertEqual(len(lines), 1, r.stdout)
        self.assertIn(f"subscription {self.sub}, {self.day}", lines[0])
        self.assertIn(f"difference 0.000001 {self.cur}", lines[0])

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
        self.assertIn("difference 2.500000", budget[0])
        self.assertRegex(r.stdout, rf"currency differs from the subscription's: subscription {self.sub}, "
                                   rf"\d+ rows of XXX in env_cost_day from {self.day} on")

    def test_missing_database_and_empty_database(self):
        r = verify(os.path.join(self.dir, "none", "x.db"))
        self.assertEqual(r.returncode, 74)
        r = verify(os.path.join(self.dir, "empty.db"))
        self.assertEqual(r.returncode, 66)
        self.assertIn("run dtcost sync first", r.stdout)


if __name__ == "__main__":
    unittest.main()
