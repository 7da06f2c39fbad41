"""`dtcost report --html FILE` writes one self-contained page (no scripts, no
external fetches: its Content-Security-Policy forbids both) that headless
Chromium loads without a console message, with every element an analyst
needs per active subscription (pacing, cumulative spend with our projection,
Dynatrace's forecast and their bands and a today marker, daily cost by
capability with anomalies, the month-by-month trend with the period, cost by
environment, usage quantities), then movers, cost centres and products, and
where the figures come from; labelled axes with years, legends, a value on
every mark, one colour per capability across the page, a font stack that
covers CJK. Screenshots at 1400 and 800 px are left next to the page for a
human to look at."""
import html
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import unittest

from dtsync import rows, synced_copy
from emu import DTCOST, tmpdir

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
        synced_copy(cls.db, "--days", "200")  # the account of the other report tests, synced once for them all
        cls.version = subprocess.run([DTCOST, "--version"], capture_output=True, text=True).stdout.split()[-1]
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
                    envs = [e for e in self.doc["by_environment"] if e["currency"] == cur and e["current"] > 0]
                    self.assertEqual(body.count("<rect"), min(15, len(envs)))

    def test_daily_chart_has_a_bar_per_day_and_marks_each_recent_anomaly(self):
        today = self.doc["as_of"]
        import datetime
        first = (datetime.date.fromisoformat(today) - datetime.timedelta(days=89)).isoformat()
        for i in self.active:
            sub = self.doc["budgets"][i]["subscription"]
            body = re.search(rf"<svg[^>]*id='daily-{i}'.*?</svg>", self.text, re.S).group(0)
            marked = body.count("class='anomaly'")
            expected = [a for a in self.doc["anomalies"] if a["subscription"] == sub and a["day"] >= first]
            self.assertEqual(marked, len(expected))
            text = html.unescape(body)
            for a in expected:  # by name, as every table shows them
                self.assertIn(f"<title>{a['day']} {a['environment_name']} / {a['capability_name']}", text)

    def svg(self, chart, i):
        m = re.search(rf"<svg[^>]*id='{chart}-{i}'.*?</svg>", self.text, re.S)
        self.assertIsNotNone(m, f"{chart}-{i} missing")
        return m.group(0)

    def test_each_element_an_analyst_needs_is_on_the_page(self):
        for i in self.active:
            b = self.doc["budgets"][i]
            # Pacing: used against the period gone, both as figures.
            pacing = self.svg("pacing", i)
            self.assertIn("class='elapsed'", pacing)
            self.assertIn(f"{b['percent_used']:.1f}% of the commitment used", html.unescape(self.text))
            # Cumulative: spent, commitment, our projection and band, today, axes with years, a legend.
            cum = self.svg("cumulative", i)
            for cls in ("actual", "budget", "proj", "band", "today", "axt"):
                self.assertIn(f"class='{cls}'", cum, f"cumulative-{i}: no {cls}")
            self.assertRegex(cum, r">20\d\d-\d\d</text>")  # month ticks carry the year
            for label in ("spent", "commitment", "our projection", "today"):
                self.assertIn(f"class='lg'>{label}</text>", cum)
            if b["forecast"]:  # Dynatrace's forecast with its band, its value on hover
                self.assertIn("class='fband'", cum)
                self.assertIn("class='fcast'", cum)
                median = f"{b['forecast']['median']:,.2f}"
                self.assertIn(f"Dynatrace forecast for {b['period_end']}: {median}", cum)
            # Daily: a value on every bar, a legend with the anomaly marker, today, axis titles.
            daily = self.svg("daily", i)
            bars = re.findall(r"<rect x='[^']*' y='[^']*' width='[^']*' height='[^']*' fill='[^']*'>(<title>)?",
                              daily)
            self.assertGreater(len(bars), 90)
            self.assertTrue(all(bars), "a bar without its value on hover")
            self.assertIn("class='anomaly-key'", daily)
            self.assertIn("class='today'", daily)
            self.assertRegex(daily, r">20\d\d-\d\d-\d\d</text>")
            # Month by month with the period marked.
            monthly = self.svg("monthly", i)
            self.assertIn("class='inperiod", monthly)
            self.assertIn(f"period starts {b['period_start']}", monthly)
            # Usage quantities per capability, in their units.
            self.assertRegex(self.text, rf"<table class='usage' id='usage-{i}'>")
        for section in ("movers", "cost-centres", "products", "anomalies", "provenance"):
            self.assertIn(f"id='{section}'", self.text)
        # Cost centres and products come from the synced cost allocation.
        (key,) = rows(self.db, "SELECT alloc_key FROM cost_allocation WHERE field = 'COSTCENTER' LIMIT 1")[0]
        self.assertIn(key, re.search(r"id='cost-centres'.*?</section>", self.text, re.S).group(0))
        # Provenance: account, last sync, version.
        prov = re.search(r"<p class='prov' id='provenance'>.*?</p>", self.text).group(0)
        (account,) = rows(self.db, "SELECT account_uuid FROM subscription LIMIT 1")[0]
        (last,) = rows(self.db, "SELECT MAX(finished_at) FROM sync_run WHERE status = 'ok'")[0]
        self.assertIn(account, prov)
        self.assertIn(f"last sync {last}", prov)
        self.assertIn(f"dtcost {self.version}", prov)
        # A font stack that covers CJK.
        self.assertIn("'Noto Sans CJK JP'", self.text)
        self.assertIn("'WenQuanYi Zen Hei'", self.text)

    def test_one_colour_per_capability_across_the_page(self):
        colour = {}
        for fill, name in re.findall(r"fill='(#[0-9a-f]{6})'><title>\d{4}-\d\d-\d\d ([^:<]*):", self.text):
            colour.setdefault(html.unescape(name), set()).add(fill)
        self.assertGreater(len(colour), 3)
        for name, fills in colour.items():
            self.assertEqual(len(fills), 1, f"{name} has {fills}")
        self.assertEqual(len({next(iter(f)) for n, f in colour.items() if n != "other capabilities"}),
                         len([n for n in colour if n != "other capabilities"]), "two capabilities share a colour")

    def test_screenshots_at_1400_and_800_px_render(self):
        for w in (1400, 800):
            shot = os.path.join(self.dir, f"report-{w}.png")
            r = chromium(f"--window-size={w},2600", "--hide-scrollbars", f"--screenshot={shot}", "file://" + self.page)
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            with open(shot, "rb") as f:
                head = f.read(24)
            self.assertEqual(head[:8], b"\x89PNG\r\n\x1a\n")
            width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
            self.assertEqual((width, height), (w, 2600))
            self.assertGreater(os.path.getsize(shot), 50_000, "the screenshot is nearly blank")
            print(f"screenshot: {shot}", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
