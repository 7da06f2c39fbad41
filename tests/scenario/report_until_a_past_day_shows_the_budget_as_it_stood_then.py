"""`dtcost report --until DAY` before the last day synced is an as-of view:
used, days remaining, burn, projection and Dynatrace's forecast as they stood
on that day, rebuilt from the stored history (not today's budget mixed with
that day's burn), and it says what the database cannot know (no forecast was
stored before that day). The terminal tables fit COLUMNS, names shortened
with an ellipsis, one block per currency, anomalies by name."""
import datetime
import json
import os
import subprocess
import unicodedata
import unittest

from dtsync import rows, synced_copy
from emu import DTCOST, tmpdir

DAY = "2026-10-15"


def report(db, *args, columns=None):
    env = dict(os.environ)
    env.pop("COLUMNS", None)
    if columns:
        env["COLUMNS"] = str(columns)
    return subprocess.run([DTCOST, "report", "--db", db, *args], capture_output=True, text=True, timeout=120,
                          env=env)


def width(line):
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in line)


class AsOf(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = os.path.join(tmpdir(), "asof.db")
        synced_copy(cls.db, "--days", "200")  # the same account as the anomalies test
        r = report(cls.db, "--format", "json", "--until", DAY)
        assert r.returncode == 0, r.stderr
        cls.doc = json.loads(r.stdout)
        cls.now = json.loads(report(cls.db, "--format", "json").stdout)

    def active(self, doc):
        return [b for b in doc["budgets"] if b["status"] == "ACTIVE"]

    def test_used_and_days_remaining_are_those_of_that_day(self):
        self.assertEqual(self.doc["as_of"], DAY)
        for b in self.active(self.doc):
            (used,) = rows(self.db, "SELECT COALESCE(SUM(cost_micro), 0) FROM cost_day WHERE subscription_uuid = ?"
                           " AND day BETWEEN ? AND ?", b["subscription"], b["period_start"], DAY)[0]
            self.assertEqual(round(b["used"] * 1e6), used, b["name"])
            end = datetime.date.fromisoformat(b["period_end"])
            self.assertEqual(b["days_remaining"], (end - datetime.date.fromisoformat(DAY)).days)
            self.assertTrue(b["rebuilt_as_of"])
            self.assertEqual(b["last_day"], DAY)
        # Today's view differs: the database's own used figure, not rebuilt.
        for b in self.active(self.now):
            self.assertFalse(b["rebuilt_as_of"])
            (used,) = rows(self.db, "SELECT budget_used_micro FROM subscription WHERE uuid = ?", b["subscription"])[0]
            self.assertEqual(round(b["used"] * 1e6), used)

    def test_the_projection_uses_that_days_budget(self):
        for b in self.active(self.doc):
            left = b["commitment"] - b["used"]
            if b["burn30"] <= 0 or left <= 0:
                continue
            # The budget runs out ceil(left / burn30) days after that day, if within the period.
            import math
            runs_out = datetime.date.fromisoformat(DAY) + datetime.timedelta(days=math.ceil(left / b["burn30"]))
            expected = runs_out.isoformat() if runs_out.isoformat() <= b["period_end"] else None
            self.assertEqual(b["runs_out"], expected, b["name"])

    def test_a_forecast_stored_later_is_not_shown_and_the_report_says_so(self):
        (first,) = rows(self.db, "SELECT MIN(created_at) FROM forecast")[0]
        self.assertGreater(first, DAY)  # the emulator's forecast is created at its "now"
        for b in self.active(self.doc):
            self.assertIsNone(b["forecast"])
            self.assertIn("forecast", b["unknown_as_of"])
        r = report(self.db, "--until", DAY)
        self.assertIn(f"no Dynatrace forecast stored on or before {DAY}", r.stdout)
        r = report(self.db, "--format", "csv", "--until", DAY)
        self.assertIn(",forecast,", r.stdout)
        self.assertIn(",unknown_as_of,1", r.stdout)

    def test_terminal_tables_fit_columns_with_names_shortened(self):
        for cols in (80, 100):
            r = report(self.db, "--until", DAY, columns=cols)
            self.assertEqual(r.returncode, 0, r.stderr)
            for line in r.stdout.splitlines():
                self.assertLessEqual(width(line), cols, f"COLUMNS={cols}: {line!r}")
        r = report(self.db, "--until", DAY, columns=60)
        spend, inside = [], False
        for line in r.stdout.splitlines():
            if line.startswith("Spend by"):
                inside = True
            elif not line.strip():
                inside = False
            elif inside and not line.startswith("  ("):
                spend.append(line)
        self.assertTrue(spend)
        self.assertTrue(any("\u2026" in l for l in spend), "no name was shortened at 60 columns")
        for line in spend:
            self.assertLessEqual(width(line), 60, line)

    def test_one_block_per_currency_and_anomalies_by_name(self):
        r = report(self.db, "--until", DAY)
        currencies = sorted({b["currency"] for b in self.doc["budgets"]})
        self.assertGreater(len(currencies), 1)
        for cur in currencies:
            self.assertIn(f"Spend by capability ({cur})", r.stdout)
            self.assertIn(f"Spend by environment ({cur})", r.stdout)
        for a in self.doc["anomalies"]:
            self.assertIn(f"{a['day']}  {a['environment_name']} / {a['capability_name']}", r.stdout)
        named = [a for a in self.doc["anomalies"] if a["environment_name"] != a["environment"]]
        self.assertTrue(named, "no anomaly on a named environment")


if __name__ == "__main__":
    unittest.main()
