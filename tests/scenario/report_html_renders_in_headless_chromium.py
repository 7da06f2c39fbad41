"""`dtcost report --html FILE` writes one self-contained page (no scripts, no
external fetches: its Content-Security-Policy forbids both) that headless
Chromium loads without a console message, with the three charts per active
subscription drawn from the data and every recent anomaly marked. A
screenshot is left next to the page for a human to look at."""
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import unittest

from dtsync import run_sync
from emu import DTCOST, Emulator, tmpdir

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def chromium(*args):
    return subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--enable-logging=stderr", "--v=0", *args],
                          capture_output=True, text=True, timeout=120)


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.refs, self.ids = [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a:
            self.ids.append(a["id"])
        for k in ("src", "href", "xlink:href"):
            if k in a:
                self.refs.append(a[k])


@unittest.skipUnless(CHROMIUM, "chromium is not installed (scripts/test.sh installs it)")
class HtmlReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        cls.db = os.path.join(cls.dir, "html.db")
        with Emulator("--days", "200") as emu:
            r = run_sync(emu, cls.db)
            assert r.returncode == 0, r.stderr
        cls.page = os.path.join(cls.dir, "report.html")
        r = subprocess.run([DTCOST, "report", "--db", cls.db, "--html", cls.page, "--format", "json"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        cls.doc = json.loads(r.stdout)
        with open(cls.page, encoding="utf-8") as f:
            cls.text = f.read()
        cls.active = [i for i, b in enumerate(cls.doc["budgets"]) if b["status"] == "ACTIVE"]

    def test_page_is_self_contained(self):
        p = Page()
        p.feed(self.text)
        self.assertNotIn("script", p.tags)
        self.assertEqual(p.refs, [], "the page links to something outside itself")
        self.assertNotRegex(self.text, r"url\(|@import|https?://")

    def test_chromium_loads_it_without_console_messages(self):
        r = chromium("--dump-dom", "file://" + self.page)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        console = [l for l in r.stderr.splitlines() if ":CONSOLE" in l]
        self.assertEqual(console, [])
        dom = r.stdout
        # The rendered DOM holds every chart of every active subscription.
        for i in self.active:
            for chart in ("daily", "cumulative", "environments"):
                m = re.search(rf"<svg[^>]*id=\"{chart}-{i}\".*?</svg>", dom, re.S)
                self.assertIsNotNone(m, f"{chart}-{i} missing from the rendered page")
                body = m.group(0)
                if chart == "cumulative":
                    self.assertIn("polyline", body)
                    self.assertIn('class="budget"', body)
                elif chart == "daily":
                    self.assertGreater(body.count("<rect"), 90)  # bars of 90 days, stacked
                else:
                    cur = self.doc["budgets"][i]["currency"]
                    envs = [e for e in self.doc["byEnvironment"] if e["currency"] == cur and e["current"] > 0]
                    self.assertEqual(body.count("<rect"), min(15, len(envs)))

    def test_daily_chart_has_a_bar_per_day_and_marks_each_recent_anomaly(self):
        today = self.doc["asOf"]
        import datetime
        first = (datetime.date.fromisoformat(today) - datetime.timedelta(days=89)).isoformat()
        for i in self.active:
            sub = self.doc["budgets"][i]["subscription"]
            body = re.search(rf"<svg[^>]*id='daily-{i}'.*?</svg>", self.text, re.S).group(0)
            marked = body.count("class='anomaly'")
            expected = [a for a in self.doc["anomalies"] if a["subscription"] == sub and a["day"] >= first]
            self.assertEqual(marked, len(expected))
            for a in expected:
                self.assertIn(f"<title>{a['day']} {a['environment']} {a['capability']}", body)

    def test_screenshot_renders(self):
        shot = os.path.join(self.dir, "report.png")
        r = chromium("--window-size=1000,2600", f"--screenshot={shot}", "file://" + self.page)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        with open(shot, "rb") as f:
            head = f.read(24)
        self.assertEqual(head[:8], b"\x89PNG\r\n\x1a\n")
        width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
        self.assertEqual((width, height), (1000, 2600))
        self.assertGreater(os.path.getsize(shot), 50_000, "the screenshot is nearly blank")
        print(f"screenshot: {shot}", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
