"""`dtcost verify` names each missing row it can prove: one environment's rows
deleted on a day in the middle (the environment and the day), every
environment row of the last day deleted (the day), one cost allocation row
deleted (environment, field, capability, day, and the amount it is short),
all allocation rows of a field for one record deleted; exit 65 each."""
import os
import sqlite3
import unittest

from dtsync import synced_copy
from dtverify import CorruptsCopies, verify
from emu import tmpdir


def money(micro):
    return f"{micro // 1000000}.{micro % 1000000:06d}"


class VerifyNamesMissingRows(CorruptsCopies, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        cls.clean = os.path.join(cls.dir, "clean.db")
        synced_copy(cls.clean, "--days", "40", "--environments", "4")  # synced once for the verify tests
        con = sqlite3.connect(cls.clean)
        # A subscription with cost allocation, two environments, a day in the middle.
        cls.sub, cls.env, cls.field, cls.alloc_key, cls.cap = con.execute(
            "SELECT subscription_uuid, environment_id, field, alloc_key, capability_key FROM cost_allocation"
            " ORDER BY subscription_uuid, environment_id, field, alloc_key, capability_key LIMIT 1").fetchone()
        days = [d for (d,) in con.execute("SELECT DISTINCT day FROM env_cost_day WHERE subscription_uuid=?"
                                          " ORDER BY day", (cls.sub,))]
        cls.day, cls.last = days[len(days) // 2], days[-1]
        assert con.execute("SELECT COUNT(DISTINCT environment_id) FROM env_cost_day WHERE subscription_uuid=?"
                           " AND day=?", (cls.sub, cls.day)).fetchone()[0] >= 2
        cls.last_total = con.execute("SELECT cost_micro FROM cost_day WHERE subscription_uuid=? AND day=?",
                                     (cls.sub, cls.last)).fetchone()[0]
        cls.alloc = con.execute("SELECT cost_micro FROM cost_allocation WHERE subscription_uuid=?"
                                " AND environment_id=? AND field=? AND alloc_key=? AND capability_key=? AND day=?",
                                (cls.sub, cls.env, cls.field, cls.alloc_key, cls.cap, cls.day)).fetchone()[0]
        cls.record = con.execute("SELECT cost_micro FROM env_cost_day WHERE subscription_uuid=?"
                                 " AND environment_id=? AND capability_key=? AND day=?",
                                 (cls.sub, cls.env, cls.cap, cls.day)).fetchone()[0]
        cls.cur = con.execute("SELECT currency FROM subscription WHERE uuid=?", (cls.sub,)).fetchone()[0]
        con.close()
        assert cls.alloc > 3 and cls.record > 0

    def lines(self, r, check):
        return [l for l in r.stdout.splitlines() if l.startswith(check + ": ")]

    def test_clean_database_reconciles(self):
        r = verify(self.clean)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("everything reconciles", r.stdout)

    def test_one_environment_deleted_on_a_day_in_the_middle(self):
        db = self.corrupted(("DELETE FROM env_cost_day WHERE subscription_uuid=? AND environment_id=? AND day=?",
                             self.sub, self.env, self.day))
        r = verify(db)
        self.assertEqual(r.returncode, 65, r.stdout)
        gap = self.lines(r, "environment missing on a day inside its range")
        self.assertEqual(len(gap), 1, r.stdout)
        self.assertIn(f"subscription {self.sub}, environment {self.env}, day {self.day}: expected ", gap[0])
        self.assertIn("no row of the environment in env_cost_day that day", gap[0])
        self.assertEqual(self.lines(r, "daily cost without environment costs"), [], r.stdout)

    def test_last_day_of_environment_rows_deleted(self):
        db = self.corrupted(("DELETE FROM env_cost_day WHERE subscription_uuid=? AND day=?", self.sub, self.last))
        r = verify(db, "--json")
        self.assertEqual(r.returncode, 65, r.stdout)
        self.assertIn(f'{{"check":"daily cost without environment costs","subscription":"{self.sub}",'
                      f'"day":"{self.last}","table":"env_cost_day"', r.stdout)
        r = verify(db)
        day = self.lines(r, "daily cost without environment costs")
        self.assertEqual(day, [f"daily cost without environment costs: subscription {self.sub}, day {self.last}: "
                               f"expected {money(self.last_total)}, actual 0.000000 {self.cur}: no row in env_cost_day "
                               f"that day (missing rows have no tolerance)"], r.stdout)

    def test_one_allocation_row_deleted(self):
        db = self.corrupted(("DELETE FROM cost_allocation WHERE subscription_uuid=? AND environment_id=? AND field=?"
                             " AND alloc_key=? AND capability_key=? AND day=?",
                             self.sub, self.env, self.field, self.alloc_key, self.cap, self.day))
        r = verify(db)
        self.assertEqual(r.returncode, 65, r.stdout)
        lines = self.lines(r, "cost allocation != environment cost")
        self.assertEqual(len(lines), 1, r.stdout)
        self.assertIn(f"subscription {self.sub}, environment {self.env}, field {self.field}, capability {self.cap}, "
                      f"day {self.day}: expected {money(self.record)}, "
                      f"actual {money(self.record - self.alloc)} {self.cur}: "
                      f"differs by {money(self.alloc)}, more than the ", lines[0])
        self.assertRegex(r.stdout, r"(?m)^ +1  cost allocation != environment cost$")

    def test_all_allocation_rows_of_a_field_deleted_for_one_record(self):
        db = self.corrupted(("DELETE FROM cost_allocation WHERE subscription_uuid=? AND environment_id=? AND field=?"
                             " AND capability_key=? AND day=?", self.sub, self.env, self.field, self.cap, self.day))
        r = verify(db)
        self.assertEqual(r.returncode, 65, r.stdout)
        self.assertEqual(self.lines(r, "environment cost without cost allocation"),
                         [f"environment cost without cost allocation: subscription {self.sub}, environment {self.env}, "
                          f"field {self.field}, capability {self.cap}, day {self.day}: expected {money(self.record)}, "
                          f"actual 0.000000 {self.cur}: no row in cost_allocation for the field "
                          f"(missing rows have no tolerance)"], r.stdout)


if __name__ == "__main__":
    unittest.main()
