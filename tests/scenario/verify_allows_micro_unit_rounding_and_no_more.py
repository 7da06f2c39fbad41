"""`dtcost verify` allows a sum of N stored rows to differ from its stored
total by the rounding of each to micro-units, ceil((N + 1) / 2), and no more:
a subscription inserted by SQL whose costs carry sub-micro-unit fractions,
each row rounded on its own (so the environment rows of a day, the
allocation rows of a record and the days of the budget period add up to a
few micro-units off their totals), reconciles; one micro-unit past the
tolerance is a discrepancy that names it."""
import os
import random
import shutil
import sqlite3
import unittest
from fractions import Fraction

from dtsync import synced_copy
from dtverify import CorruptsCopies, verify
from emu import tmpdir

SUB = "00000000-0000-4000-8000-00000000r0d1"
ENVS = ["roundenv1", "roundenv2", "roundenv3"]
CAPS = [f"CAP_{i}" for i in range(6)]
DAYS = [f"2026-11-{d:02d}" for d in range(1, 11)]
FIELDS = {"COSTCENTER": 4, "PRODUCT": 3}  # allocation keys per field


def stored(x):
    """Micro-units of an exact cost, rounded to the nearest as the store does."""
    return round(x * 1000000)


def split(total, parts, rng):
    """`parts` exact costs adding up to total, each with a fraction of a micro-unit."""
    out = [Fraction(rng.randrange(1000, 90000) * 1000 + rng.choice([300, 350, 420, 460]), 10 ** 9)
           for _ in range(parts - 1)]
    return out + [total - sum(out)]


def subscription_rows(seed=7):
    """Rows of SUB as the store would hold them: every cost rounded on its own."""
    rng = random.Random(seed)
    cost_day, env_cost_day, allocation = [], [], []
    period = Fraction(0)
    for day in DAYS:
        day_total = Fraction(0)
        for env in ENVS:
            for cap in CAPS:
                # The record's cost is what its COSTCENTER allocations add up to.
                cc = [Fraction(rng.randrange(10000, 900000) * 1000 + 460, 10 ** 9)
                      for _ in range(FIELDS["COSTCENTER"])]
                record = sum(cc)
                parts = {"COSTCENTER": cc, "PRODUCT": split(record, FIELDS["PRODUCT"], rng)}
                for field, values in parts.items():
                    for k, v in enumerate(values):
                        allocation.append((SUB, env, field, f"{field.lower()}-{k}", cap, day, stored(v)))
                env_cost_day.append((SUB, env, cap, day, stored(record), "USD"))
                day_total += record
        cost_day.append((SUB, day, stored(day_total), "USD"))
        period += day_total
    return cost_day, env_cost_day, allocation, stored(period)


class VerifyAllowsRounding(CorruptsCopies, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        cls.synced = os.path.join(cls.dir, "synced.db")
        synced_copy(cls.synced, "--days", "40", "--environments", "4")  # synced once for the verify tests
        cls.cost_day, cls.env_cost_day, cls.allocation, cls.used = subscription_rows()
        cls.clean = os.path.join(cls.dir, "rounded.db")
        shutil.copy(cls.synced, cls.clean)
        con = sqlite3.connect(cls.clean)
        con.execute("INSERT INTO subscription(uuid, account_uuid, name, status, currency, period_start, period_end,"
                    " budget_total_micro, budget_used_micro) VALUES(?, 'acct', 'rounding', 'ACTIVE', 'USD',"
                    " ?, ?, 100000000000, ?)", (SUB, DAYS[0], DAYS[-1], cls.used))
        con.executemany("INSERT INTO cost_day(subscription_uuid, day, cost_micro, currency) VALUES(?, ?, ?, ?)",
                        cls.cost_day)
        con.executemany("INSERT INTO env_cost_day(subscription_uuid, environment_id, capability_key, day,"
                        " cost_micro, currency) VALUES(?, ?, ?, ?, ?, ?)", cls.env_cost_day)
        con.executemany("INSERT INTO cost_allocation(subscription_uuid, environment_id, field, alloc_key,"
                        " capability_key, day, cost_micro) VALUES(?, ?, ?, ?, ?, ?, ?)", cls.allocation)
        con.commit()
        # The rounding shows: sums are off their totals by a few micro-units.
        cls.day_drift = dict(con.execute(
            "SELECT c.day, (SELECT SUM(e.cost_micro) FROM env_cost_day e"
            " WHERE e.subscription_uuid = c.subscription_uuid AND e.day = c.day) - c.cost_micro"
            " FROM cost_day c WHERE c.subscription_uuid = ?", (SUB,)).fetchall())
        cls.alloc_drift = con.execute(
            "SELECT MAX(ABS(a.s - e.cost_micro)) FROM (SELECT environment_id, field, capability_key, day,"
            " SUM(cost_micro) AS s FROM cost_allocation WHERE subscription_uuid = ?"
            " GROUP BY environment_id, field, capability_key, day) a JOIN env_cost_day e"
            " ON e.subscription_uuid = ? AND e.environment_id = a.environment_id"
            " AND e.capability_key = a.capability_key AND e.day = a.day", (SUB, SUB)).fetchone()[0]
        cls.budget_drift = con.execute("SELECT SUM(cost_micro) FROM cost_day WHERE subscription_uuid = ?",
                                       (SUB,)).fetchone()[0] - cls.used
        con.close()

    def test_freshly_synced_database_reconciles(self):
        r = verify(self.synced, "--json")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn('"discrepancies":0', r.stdout)

    def test_rows_rounded_each_on_its_own_reconcile(self):
        self.assertGreaterEqual(max(abs(d) for d in self.day_drift.values()), 3, self.day_drift)
        self.assertGreaterEqual(self.alloc_drift, 1)
        r = verify(self.clean)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"9 checks over 4 subscriptions and \d+ days: everything reconciles")

    def test_one_micro_unit_past_the_tolerance_of_a_day(self):
        n = len(ENVS) * len(CAPS)
        tol = (n + 2) // 2
        day, drift = max(self.day_drift.items(), key=lambda kv: abs(kv[1]))
        sign = 1 if drift > 0 else -1
        # The daily total moves away from the rows' sum; the budget moves with it.
        def moved(past):
            delta = -sign * (tol + past - abs(drift))
            return self.corrupted(
                ("UPDATE cost_day SET cost_micro = cost_micro + ? WHERE subscription_uuid = ? AND day = ?",
                 delta, SUB, day),
                ("UPDATE subscription SET budget_used_micro = budget_used_micro + ? WHERE uuid = ?", delta, SUB))
        r = verify(moved(0))
        self.assertEqual(r.returncode, 0, r.stdout)
        db = moved(1)
        r = verify(db)
        self.assertEqual(r.returncode, 65, r.stdout)
        lines = [l for l in r.stdout.splitlines() if l.startswith("environment costs != daily cost:")]
        self.assertEqual(len(lines), 1, r.stdout)
        self.assertIn(f"subscription {SUB}, day {day}: ", lines[0])
        self.assertTrue(lines[0].endswith(f" USD: differs by 0.{tol + 1:06d}, more than the 0.{tol:06d} that "
                                          f"rounding {n} rows to micro-units allows"), lines[0])

    def test_one_micro_unit_past_the_tolerance_of_an_allocation(self):
        rows = FIELDS["PRODUCT"]
        tol = (rows + 2) // 2
        env, cap, day = ENVS[1], CAPS[2], DAYS[4]
        con = sqlite3.connect(self.clean)
        (diff,) = con.execute("SELECT SUM(cost_micro) - (SELECT cost_micro FROM env_cost_day WHERE"
                              " subscription_uuid = ? AND environment_id = ? AND capability_key = ? AND day = ?)"
                              " FROM cost_allocation WHERE subscription_uuid = ? AND environment_id = ? AND field ="
                              " 'PRODUCT' AND capability_key = ? AND day = ?",
                              (SUB, env, cap, day, SUB, env, cap, day)).fetchone()
        con.close()
        db = self.corrupted(("UPDATE cost_allocation SET cost_micro = cost_micro + ? WHERE subscription_uuid = ?"
                             " AND environment_id = ? AND field = 'PRODUCT' AND alloc_key = 'product-0'"
                             " AND capability_key = ? AND day = ?", tol + 1 - diff, SUB, env, cap, day))
        r = verify(db)
        self.assertEqual(r.returncode, 65, r.stdout)
        lines = [l for l in r.stdout.splitlines() if l.startswith("cost allocation != environment cost:")]
        self.assertEqual(len(lines), 1, r.stdout)
        self.assertIn(f"subscription {SUB}, environment {env}, field PRODUCT, capability {cap}, day {day}: ", lines[0])
        self.assertTrue(lines[0].endswith(f"differs by 0.{tol + 1:06d}, more than the 0.{tol:06d} that rounding "
                                          f"{rows} rows to micro-units allows"), lines[0])

    def test_one_micro_unit_past_the_tolerance_of_the_budget(self):
        tol = (len(DAYS) + 2) // 2
        db = self.corrupted(("UPDATE subscription SET budget_used_micro = ? WHERE uuid = ?",
                             self.used + self.budget_drift - tol, SUB))
        r = verify(db)
        self.assertEqual(r.returncode, 0, r.stdout)
        db = self.corrupted(("UPDATE subscription SET budget_used_micro = ? WHERE uuid = ?",
                             self.used + self.budget_drift - tol - 1, SUB))
        r = verify(db)
        self.assertEqual(r.returncode, 65, r.stdout)
        self.assertRegex(r.stdout, rf"(?m)^budget used != cost in the current period: subscription {SUB}: .* USD: "
                                   rf"differs by 0\.{tol + 1:06d}, more than the 0\.{tol:06d} that rounding "
                                   rf"{len(DAYS)} rows to micro-units allows$")


if __name__ == "__main__":
    unittest.main()
