"""A capability that cost and used nothing in the window before the spend
window (in every subscription) is new: the HTML page says "new" in its change column, in the spend
table and in the usage table, and never a percentage of zero; the JSON gives
its previous figure as 0 and its change as the whole current figure. The
capabilities beside it keep their percentages."""
import datetime
import html.parser
import json
import os
import sqlite3
import subprocess
import unittest

from dtsync import synced_copy
from emu import DTCOST, tmpdir


class Rows(html.parser.HTMLParser):
    """The cells' text of each table row, per table id."""

    def __init__(self):
        super().__init__()
        self.tables, self.table, self.row, self.cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.table = self.tables.setdefault(dict(attrs).get("id", ""), [])
        elif tag == "tr" and self.table is not None:
            self.row = []
            self.table.append(self.row)
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "table":
            self.table = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


class NewInTheWindow(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        d = tmpdir()
        cls.db = os.path.join(d, "synced.db")
        synced_copy(cls.db, "--days", "200")  # the account of the other report tests, synced once for them all
        before = cls.json()
        cls.cap = next(c for c in before["by_capability"] if c["currency"] == "EUR")
        start = (datetime.date.fromisoformat(before["as_of"]) - datetime.timedelta(days=29)).isoformat()
        con = sqlite3.connect(cls.db)
        with con:  # nothing of this capability before the spend window, in any subscription
            for t in ("env_cost_day", "env_usage_day", "usage_day"):
                n = con.execute(f"DELETE FROM {t} WHERE capability_key = ? AND day < ?",
                                (cls.cap["key"], start)).rowcount
                assert n > 0, t
        con.close()
        cls.after = cls.json()
        cls.page = os.path.join(d, "report.html")
        r = subprocess.run([DTCOST, "report", "--db", cls.db, "--html", cls.page], capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr
        p = Rows()
        with open(cls.page, encoding="utf-8") as f:
            p.feed(f.read())
        cls.tables = p.tables

    @classmethod
    def json(cls):
        r = subprocess.run([DTCOST, "report", "--db", cls.db, "--format", "json"], capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def rows_of(self, prefix):
        rows = [r for t, rows in self.tables.items() if t.startswith(prefix) for r in rows if r and r[0] != ""]
        mine = [r for r in rows if r[0] == self.cap["name"]]
        return mine, [r for r in rows if r[0] != self.cap["name"] and r[0] not in ("capability", "environment")]

    def test_json_gives_a_previous_of_zero_and_the_whole_figure_as_change(self):
        got = next(c for c in self.after["by_capability"] if c["key"] == self.cap["key"] and c["currency"] == "EUR")
        self.assertEqual((got["current"], got["previous"], got["change"]), (self.cap["current"], 0, self.cap["current"]))
        usage = [u for u in self.after["usage"] if u["capability"] == self.cap["key"]]
        self.assertEqual(len(usage), 2)  # both active subscriptions use it
        self.assertTrue(all(u["previous"] == 0 and u["current"] > 0 for u in usage), usage)

    def test_the_page_says_new_where_a_percentage_would_divide_by_zero(self):
        for table in ("movers-capability-", "usage-"):
            mine, others = self.rows_of(table)
            self.assertTrue(mine, f"no row of {self.cap['name']} in {table}")
            for row in mine:
                self.assertIn("new", row, row)
                self.assertFalse(any("%" in c or "inf" in c or "nan" in c for c in row), row)
            # the others still compare with the window before
            self.assertTrue(others)
            self.assertTrue(all(any(c.endswith("%") for c in r) for r in others if "new" not in r), others)


if __name__ == "__main__":
    unittest.main()
