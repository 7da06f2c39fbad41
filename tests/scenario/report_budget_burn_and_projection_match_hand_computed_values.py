"""`dtcost report` on a small hand-made database: commitment 10,000 USD, used
4,000, daily cost alternating 100 and 140 through June 2026 and a flat 90 in
May. The burn, the projection and its band, the overage, week-over-week and
month-over-month figures are worked out by hand below (not by re-running the
formula), and the Dynatrace forecast is shown for the subscription whose
commitment it was computed against, not for the account's other one."""
import json
import os
import sqlite3
import subprocess
import unittest

from dtsync import run_sync
from emu import DTCOST, Emulator, tmpdir

SUB, OTHER, ACC = "sub-fixture", "sub-other", "acc-fixture"


def build_fixture(path):
    # The schema is dtcost's own: sync a tiny emulated account, then replace
    # every row with the fixture.
    with Emulator("--days", "3") as emu:
        r = run_sync(emu, path)
        assert r.returncode == 0, r.stderr
    con = sqlite3.connect(path)
    for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        if t not in ("schema_version", "meta"):
            con.execute(f"DELETE FROM {t}")
    ins = ("INSERT INTO subscription(uuid, account_uuid, name, status, currency, period_start, period_end,"
           " days_remaining, budget_total_micro, budget_used_micro) VALUES (?,?,?,?,?,?,?,?,?,?)")
    con.execute(ins, (SUB, ACC, "Fixture", "ACTIVE", "USD", "2026-01-01", "2026-12-31", 184,
                      10_000_000_000, 4_000_000_000))
    con.execute(ins, (OTHER, ACC, "Other", "ACTIVE", "EUR", "2026-01-01", "2026-12-31", 184,
                      50_000_000_000, 0))
    for d in range(1, 32):
        con.execute("INSERT INTO cost_day(subscription_uuid, day, cost_micro, currency) VALUES (?,?,?,?)",
                    (SUB, f"2026-05-{d:02d}", 90_000_000, "USD"))
    for i in range(30):
        con.execute("INSERT INTO cost_day(subscription_uuid, day, cost_micro, currency) VALUES (?,?,?,?)",
                    (SUB, f"2026-06-{i + 1:02d}", 100_000_000 if i % 2 == 0 else 140_000_000, "USD"))
    con.execute("INSERT INTO forecast(account_uuid, created_at, median_micro, lower_micro, upper_micro,"
                " budget_micro, budget_pct, budget_date) VALUES (?,?,?,?,?,?,?,?)",
                (ACC, "2026-06-30T02:00:00Z", 25_000_000_000, 24_000_000_000, 26_000_000_000,
                 10_000_000_000, 250.0, "2026-08-20T00:00:00Z"))
    con.commit()
    con.close()


class BudgetFigures(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = os.path.join(tmpdir(), "fixture.db")
        build_fixture(cls.db)
        r = subprocess.run([DTCOST, "report", "--db", cls.db, "--format", "json", "--until", "2026-06-30"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        cls.doc = json.loads(r.stdout)
        cls.b = next(b for b in cls.doc["budgets"] if b["subscription"] == SUB)
        cls.other = next(b for b in cls.doc["budgets"] if b["subscription"] == OTHER)

    def test_as_of_the_last_day_with_cost(self):
        self.assertEqual(self.doc["as_of"], "2026-06-30")
        self.assertEqual(self.b["last_day"], "2026-06-30")

    def test_commitment_used_remaining(self):
        self.assertEqual(self.b["commitment"], 10000)
        self.assertEqual(self.b["used"], 4000)
        self.assertEqual(self.b["remaining"], 6000)
        self.assertEqual(self.b["percent_used"], 40)

    def test_burn_over_7_and_30_days(self):
        # Last 7 days: 24..30 June = 140,100,140,100,140,100,140 -> 860 / 7.
        self.assertEqual(self.b["burn7"], 122.857142)
        # 30 days alternating 100 and 140.
        self.assertEqual(self.b["burn30"], 120)
        # Sample standard deviation sqrt(30 * 20^2 / 29) = 20.341965; / sqrt(30).
        self.assertAlmostEqual(self.b["burn30_standard_error"], 3.713907, places=5)

    def test_projection_and_band(self):
        # 6000 left at 120/day: 50 days after 30 June.
        self.assertEqual(self.b["runs_out"], "2026-08-19")
        # At 120 + 2 x 3.713907 = 127.427814/day: 47.09 -> 48 days.
        self.assertEqual(self.b["runs_out_earliest"], "2026-08-17")
        # At 120 - 7.427814 = 112.572186/day: 53.30 -> 54 days.
        self.assertEqual(self.b["runs_out_latest"], "2026-08-23")

    def test_expected_overage_by_the_period_end(self):
        # 4000 used + 120/day x 184 days (1 Jul .. 31 Dec) = 26,080: 16,080 beyond 10,000.
        self.assertEqual(self.b["expected_overage"], 16080)

    def test_period_over_period(self):
        # 30 June is a Tuesday: Mon 29 + Tue 30 = 100 + 140 against Mon 22 + Tue 23 = 140 + 100.
        self.assertEqual(self.b["this_week"], 240)
        self.assertEqual(self.b["last_week_same_days"], 240)
        # June: 15 x 100 + 15 x 140; 1..30 May: 30 x 90.
        self.assertEqual(self.b["this_month"], 3600)
        self.assertEqual(self.b["last_month_same_days"], 2700)

    def test_monthly_totals(self):
        months = {m["start"]: m["cost"] for m in self.b["by_month"]}
        self.assertEqual(months["2026-06-01"], 3600)
        self.assertEqual(months["2026-05-01"], 2790)

    def test_forecast_only_for_the_subscription_it_was_made_for(self):
        self.assertEqual(self.b["forecast"]["median"], 25000)
        self.assertEqual(self.b["forecast"]["budget_date"][:10], "2026-08-20")
        self.assertIsNone(self.other["forecast"])

    def test_terminal_table_shows_the_same_figures(self):
        r = subprocess.run([DTCOST, "report", "--db", self.db, "--until", "2026-06-30"],
                           capture_output=True, text=True, timeout=60, env={**os.environ, "NO_COLOR": "1"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("\033[", r.stdout)
        self.assertIn("runs out 2026-08-19 (between 2026-08-17 and 2026-08-23)", r.stdout)
        self.assertIn("16,080.00 USD on demand beyond the commitment by 2026-12-31", r.stdout)
        self.assertIn("122.86 USD/day over 7 days, 120.00 over 30", r.stdout)


if __name__ == "__main__":
    unittest.main()
