"""`dtcost report` treats every string from the API as untrusted: a currency
code holding `<!--` cannot open a comment in the HTML page (everything after
it would vanish), and names a spreadsheet would run as formulas (`=`, `+`,
`-`, `@`) reach the CSV with a single quote in front, as OWASP recommends.
When standard output cannot take the report (a full disk), every format
fails with exit 74 and one line saying so, instead of printing nothing and
exiting 0. Escape sequences in names or codes never reach the terminal."""
import csv
import html.parser
import io
import os
import shutil
import sqlite3
import subprocess
import unittest

from dtsync import synced_copy
from emu import DTCOST, tmpdir

HOSTILE_CURRENCY = "<!--"
FORMULA_ENV = '=HYPERLINK("http://x.example/","open")'
FORMULA_CAP = "+1+cmd|' /C calc'!A0"


class Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.data, self.comments, self.ids = [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])

    def handle_data(self, d):
        self.data.append(d)

    def handle_comment(self, d):
        self.comments.append(d)


def report(db, *args, stdout=subprocess.PIPE):
    return subprocess.run([DTCOST, "report", "--db", db, *args], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, timeout=120)


class HostileNames(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        clean = os.path.join(cls.dir, "clean.db")
        synced_copy(clean, "--days", "200")  # the account of the other report tests, synced once for them all
        cls.db = os.path.join(cls.dir, "hostile.db")
        shutil.copy(clean, cls.db)
        con = sqlite3.connect(cls.db)
        with con:
            cur = con.execute("SELECT currency FROM subscription WHERE status = 'ACTIVE' ORDER BY uuid").fetchone()[0]
            cls.renamed = cur
            for t in ("subscription", "cost_day", "env_cost_day"):
                con.execute(f"UPDATE {t} SET currency = ? WHERE currency = ?", (HOSTILE_CURRENCY, cur))
            env = con.execute("SELECT environment_id FROM env_cost_day ORDER BY environment_id LIMIT 1").fetchone()[0]
            con.execute("UPDATE environment SET name = ? WHERE environment_id = ?", (FORMULA_ENV, env))
            cap = con.execute("SELECT capability_key FROM env_cost_day ORDER BY capability_key LIMIT 1").fetchone()[0]
            con.execute("UPDATE env_cost_day SET capability_name = ? WHERE capability_key = ?", (FORMULA_CAP, cap))
        con.close()
        cls.term = os.path.join(cls.dir, "terminal.db")
        shutil.copy(clean, cls.term)
        con = sqlite3.connect(cls.term)
        with con:
            cur = con.execute("SELECT currency FROM subscription WHERE status = 'ACTIVE' ORDER BY uuid").fetchone()[0]
            for t in ("subscription", "cost_day", "env_cost_day"):
                con.execute(f"UPDATE {t} SET currency = ? WHERE currency = ?", ("\x1b[2J", cur))
            con.execute("UPDATE environment SET name = '\x1b]0;owned\x07Prod' WHERE environment_id ="
                        " (SELECT environment_id FROM env_cost_day ORDER BY environment_id LIMIT 1)")
            con.execute("UPDATE env_cost_day SET capability_name = 'Logs\x1b[31m'")
            con.execute("UPDATE subscription SET status = 'ACTIVE\x1b[5m' WHERE status = 'EXPIRED'")
        con.close()

    def test_escape_sequences_never_reach_the_terminal(self):
        r = report(self.term, "--top", "50")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("\x1b", r.stdout)
        self.assertNotIn("\x07", r.stdout)
        self.assertIn("Logs?", r.stdout)  # the name, its control character shown as '?'

    def test_a_currency_code_cannot_open_a_comment_in_the_page(self):
        page = os.path.join(self.dir, "hostile.html")
        r = report(self.db, "--html", page)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(page, encoding="utf-8") as f:
            text = f.read()
        self.assertNotIn(HOSTILE_CURRENCY, text)
        self.assertIn("&lt;!--", text)
        p = Text()
        p.feed(text)
        self.assertEqual(p.comments, [])
        # Everything after the first place the currency appears is still there.
        self.assertTrue("".join(p.data).rstrip().endswith("from the local database"))  # the page's last line
        self.assertIn("anomalies", p.ids)
        self.assertIn(HOSTILE_CURRENCY, "".join(p.data))  # shown as text, as it came

    def test_formula_names_are_neutralised_in_the_csv(self):
        r = report(self.db, "--format", "csv")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = list(csv.reader(io.StringIO(r.stdout)))
        header, body = rows[0], rows[1:]
        self.assertEqual(header, ["section", "subscription", "key", "name", "day", "currency", "metric", "value"])
        names = {row[3] for row in body}
        self.assertIn("'" + FORMULA_ENV, names)
        self.assertIn("'" + FORMULA_CAP, names)
        for row in body:
            for cell in row[:7]:  # text columns; the value column holds numbers
                self.assertFalse(cell[:1] in ("=", "+", "-", "@", "\t", "\r"), row)

    def test_a_full_disk_is_exit_74_with_one_line_in_every_format(self):
        for fmt in ("table", "json", "csv"):
            with open("/dev/full", "w") as full:
                r = report(self.db, "--format", fmt, stdout=full)
            self.assertEqual(r.returncode, 74, f"{fmt}: {r.stderr}")
            lines = r.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, r.stderr)
            self.assertIn("standard output failed", lines[0])
            self.assertIn("No space left on device", lines[0])


if __name__ == "__main__":
    unittest.main()
