"""`dtcost report --until DAY --by week --window 7`, the docs' as-of example,
on a year of three environments: each bucket is labelled "week of" its
Monday and holds the cost the database has for those seven days; a
subscription whose period starts after DAY is NOT STARTED, nothing used and
its whole period remaining; a projection whose late end lies beyond the
period says "after the period" instead of a date; and the --html page's
"budget runs out" figure is the day the table projects."""
import datetime
import os
import re
import subprocess
import unittest
from decimal import Decimal

from dtsync import rows, synced_copy
from emu import DTCOST, tmpdir

DAY = "2026-06-30"
LATER = "2026-07-20"  # three weeks on, the USD budget's projection runs out within its period


def micro(s):
    return int(Decimal(s.replace(",", "")) * 1000000)


class AsOfWeeks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = os.path.join(tmpdir(), "weeks.db")
        # a year: the USD subscription's budget is far enough drawn on DAY for a projection
        synced_copy(cls.db, "--days", "365", "--environments", "3")
        r = subprocess.run([DTCOST, "report", "--db", cls.db, "--until", DAY, "--by", "week", "--window", "7"],
                           capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
        assert r.returncode == 0, r.stderr
        # one block per subscription: "Name (STATUS, CUR)" and its indented lines
        cls.blocks = {}
        name = None
        for line in r.stdout.splitlines():
            m = re.match(r"^(\S.*) \(([A-Z ]+), ([A-Z]{3})\)$", line)
            if m:
                name = m.group(1)
                cls.blocks[name] = {"status": m.group(2), "currency": m.group(3), "lines": []}
            elif name and line.startswith("  "):
                cls.blocks[name]["lines"].append(line)
            elif not line.strip():
                name = None
        cls.subs = {n: u for u, n in rows(cls.db, "SELECT uuid, name FROM subscription")}

    def report(self, *args):
        r = subprocess.run([DTCOST, "report", "--db", self.db, *args], capture_output=True, text=True, timeout=120,
                           env={**os.environ, "NO_COLOR": "1"})
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def field(self, block, key):
        for line in block["lines"]:
            if line.startswith(f"  {key} "):
                return line[len(key) + 2:].strip()
        self.fail(f"no '{key}' line in {block}")

    def test_week_buckets_are_mondays_holding_their_days_cost(self):
        checked = 0
        for name, block in self.blocks.items():
            for line in block["lines"]:
                m = re.match(r"^    week of (\d{4}-\d{2}-\d{2}) +([-\d,.]+) [A-Z]{3}$", line)
                if not m:
                    continue
                monday = datetime.date.fromisoformat(m.group(1))
                self.assertEqual(monday.weekday(), 0, line)
                last = min(monday + datetime.timedelta(days=6), datetime.date.fromisoformat(DAY))
                want = rows(self.db, "SELECT COALESCE(SUM(cost_micro), 0) FROM cost_day WHERE subscription_uuid = ?"
                                     " AND day BETWEEN ? AND ?", self.subs[name], m.group(1), last.isoformat())[0][0]
                self.assertLessEqual(abs(micro(m.group(2)) - want), 5000, f"{name}: {line}")
                checked += 1
        self.assertGreater(checked, 5, "no weekly buckets in the report")

    def test_a_period_starting_after_the_day_is_not_started(self):
        later = [n for n, s in rows(self.db, "SELECT name, period_start FROM subscription") if s[:10] > DAY]
        self.assertEqual(len(later), 1, "the emulator's EUR subscription starts in August")
        not_started = {n: b for n, b in self.blocks.items() if b["status"] == "NOT STARTED"}
        self.assertEqual(list(not_started), later)
        b = not_started[later[0]]
        start, end = rows(self.db, "SELECT period_start, period_end FROM subscription WHERE uuid = ?",
                          self.subs[later[0]])[0]
        self.assertEqual(micro(self.field(b, "used").split()[0]), 0)
        self.assertEqual(self.field(b, "remaining"), self.field(b, "commitment"))
        days = (datetime.date.fromisoformat(end[:10]) - datetime.date.fromisoformat(start[:10])).days + 1
        self.assertTrue(self.field(b, "period").endswith(f", {days} days remaining"), self.field(b, "period"))

    def test_a_range_ending_beyond_the_period_says_after_the_period(self):
        b = self.blocks["Dynatrace Platform Subscription"]
        self.assertEqual(b["status"], "ACTIVE")
        proj = self.field(b, "projection")
        m = re.fullmatch(r"runs out (after the period|\d{4}-\d{2}-\d{2}) \(between (\d{4}-\d{2}-\d{2}) and "
                         r"after the period\)", proj)
        self.assertIsNotNone(m, proj)
        end = rows(self.db, "SELECT period_end FROM subscription WHERE uuid = ?",
                   self.subs["Dynatrace Platform Subscription"])[0][0]
        self.assertLessEqual(m.group(2), end[:10], "the early end is a day of the period")

    def test_the_html_page_runs_out_on_the_day_the_table_projects(self):
        table = self.report("--until", LATER, "--window", "7")
        m = re.search(r"^Dynatrace Platform Subscription \(ACTIVE, USD\)\n(?:  .*\n)*?  projection   runs out "
                      r"(\d{4}-\d{2}-\d{2}) ", table, re.M)
        self.assertIsNotNone(m, table)
        page = os.path.join(os.path.dirname(self.db), "asof.html")
        self.report("--until", LATER, "--window", "7", "--html", page)
        with open(page, encoding="utf-8") as f:
            got = re.findall(r"<div class='k'>budget runs out \(ours\)</div><div class='v'>([^<]*)</div>", f.read())
        self.assertIn(m.group(1), got, "the page's runs-out figures")


if __name__ == "__main__":
    unittest.main()
