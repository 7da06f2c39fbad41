"""The report's license section (classic Managed): host-unit hours, DEM units
and DDUs per environment and day equal what the benchmark's independent
Python implementation of the rules (bench/license_baseline.py) computes from
the same export; money is each unit times its [license] price, rounded per
environment and day, and the totals are the sums of those rows to the
micro-unit. A unit without a price is named, not silently priced at zero. A
database with license data only (a Managed cluster, no subscription) still
gets a report; with cost data too, both sections appear. A bad [license]
value is a one-line error with exit 78."""
import datetime
import io
import json
import os
import sqlite3
import subprocess
import sys
import unittest
import zipfile
from decimal import ROUND_HALF_UP, Decimal

from dtsync import run_sync
from emu import DTCOST, Emulator, tmpdir

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
import license_baseline  # noqa: E402  (the independent rules)

H = 3600000
# 2026-11-19T12:00Z .. 2026-11-22T00:00Z: half a day, then two whole days
T0, T1 = 1795089600000, 1795305600000
PRICES = {"price_fullstack_hu_hour": "0.08", "price_infrastructure_hu_hour": "0.03",
          "price_dem_unit": "0.0025", "price_ddu": "0.001"}


def report(db, *args, config=None):
    cmd = [DTCOST, "report", "--db", db, *args]
    if config:
        cmd += ["--config", config]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DT_", "DTCOST_"))}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)


def money(qty, price):
    return (Decimal(qty) * Decimal(price)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


class LicenseReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        cls.zip = os.path.join(cls.dir, "export.zip")
        cls.lic_db = os.path.join(cls.dir, "license-only.db")
        cls.both_db = os.path.join(cls.dir, "both.db")
        with Emulator("--hosts", "5", "--cluster-environments", "2", "--days", "40", "--environments", "2",
                      "--capabilities", "4") as emu:
            emu.license_export(cls.zip, T0, T1)
            r = run_sync(emu, cls.both_db)
            assert r.returncode == 0, r.stderr
        for db in (cls.lic_db, cls.both_db):
            r = subprocess.run([DTCOST, "license", "import", cls.zip, "--db", db, "--quiet"], capture_output=True,
                               text=True, timeout=120)
            assert r.returncode == 0, r.stderr
        # The independent count, per (cluster, environment, day).
        cls.expected = {}
        with zipfile.ZipFile(cls.zip) as outer:
            inner = next(n for n in outer.namelist() if n.endswith(".zip"))
            with zipfile.ZipFile(io.BytesIO(outer.read(inner))) as z:
                for n in z.namelist():
                    for row in license_baseline.rows(json.loads(z.read(n))):
                        cluster, env, hour, fs, infra, paas, dem, ddu = row[:8]
                        k = (cluster, env, hour[:10])
                        acc = cls.expected.setdefault(k, [0, 0, 0, 0, 0])
                        for i, v in enumerate((fs, infra, paas, dem, ddu)):
                            acc[i] += v
        cls.config = os.path.join(cls.dir, "prices.ini")
        with open(cls.config, "w") as f:
            f.write("[license]\ncurrency = EUR\n" + "".join(f"{k} = {v}\n" for k, v in PRICES.items()))

    def section(self, db, *args, config=None):
        r = report(db, "--format", "json", "--until", "2026-11-21", "--window", "7", *args, config=config)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout, parse_float=Decimal)["license"]

    def test_units_per_environment_and_day_equal_the_independent_count(self):
        lic = self.section(self.lic_db)
        self.assertEqual((lic["from"], lic["to"]), ("2026-11-15", "2026-11-21"))
        got = {(d["cluster"], d["environment"], d["day"]): d for d in lic["by_environment_and_day"]}
        self.assertEqual(set(got), set(self.expected))
        self.assertEqual(sorted({k[2] for k in got}), ["2026-11-19", "2026-11-20", "2026-11-21"])
        for k, (fs, infra, paas, dem, ddu) in self.expected.items():
            d = got[k]
            self.assertEqual(d["fullstack_hu_hours"], Decimal(fs) / 1000, k)
            self.assertEqual(d["infrastructure_hu_hours"], Decimal(infra) / 1000, k)
            self.assertEqual(d["application_only_hu_hours"], Decimal(paas) / 1000, k)
            self.assertEqual(d["dem_units"], Decimal(dem) / 100, k)
            self.assertEqual(d["ddu"], Decimal(ddu) / 1000000, k)
            self.assertIsNone(d["money"])  # no price list given
        total = [sum(v[i] for v in self.expected.values()) for i in range(5)]
        self.assertEqual(lic["total"]["fullstack_hu_hours"], Decimal(total[0]) / 1000)
        self.assertEqual(lic["total"]["ddu"], Decimal(total[4]) / 1000000)
        self.assertGreater(total[0], 0)

    def test_money_is_units_times_prices_and_totals_are_the_rows_sums(self):
        lic = self.section(self.lic_db, config=self.config)
        self.assertEqual(lic["currency"], "EUR")
        self.assertEqual(lic["unpriced"], [])
        want_total = Decimal(0)
        for d in lic["by_environment_and_day"]:
            fs, infra, paas, dem, ddu = self.expected[(d["cluster"], d["environment"], d["day"])]
            # application-only hosts take the Full-Stack price when none is set for them
            want = (money(Decimal(fs) / 1000, PRICES["price_fullstack_hu_hour"])
                    + money(Decimal(paas) / 1000, PRICES["price_fullstack_hu_hour"])
                    + money(Decimal(infra) / 1000, PRICES["price_infrastructure_hu_hour"])
                    + money(Decimal(dem) / 100, PRICES["price_dem_unit"])
                    + money(Decimal(ddu) / 1000000, PRICES["price_ddu"]))
            self.assertEqual(d["money"], want, d)
            want_total += want
        self.assertEqual(lic["total"]["money"], want_total)
        self.assertEqual(sum(e["money"] for e in lic["by_environment"]), want_total)
        self.assertGreater(want_total, 0)

    def test_a_missing_price_is_named_and_left_out(self):
        partial = os.path.join(self.dir, "partial.ini")
        with open(partial, "w") as f:
            f.write("[license]\ncurrency = USD\nprice_fullstack_hu_hour = 0.08\n")
        lic = self.section(self.lic_db, config=partial)
        self.assertEqual(lic["unpriced"], ["price_infrastructure_hu_hour", "price_dem_unit", "price_ddu"])
        fs = sum(v[0] + v[2] for v in self.expected.values())
        self.assertEqual(lic["total"]["money"], sum(
            money(Decimal(v[0]) / 1000, "0.08") + money(Decimal(v[2]) / 1000, "0.08") for v in self.expected.values()))
        self.assertGreater(fs, 0)
        r = report(self.lic_db, "--until", "2026-11-21", config=partial)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("money leaves out units without a price: price_infrastructure_hu_hour price_dem_unit "
                      "price_ddu", r.stdout)

    def test_license_only_database_gets_a_table_csv_and_html_report(self):
        r = report(self.lic_db, "--by", "day", config=self.config)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("dtcost report as of 2026-11-21", r.stdout)  # the last day with license data
        self.assertIn("License (classic Managed) 2026-10-23 .. 2026-11-21", r.stdout)  # the 30-day window
        self.assertNotIn("Spend by capability", r.stdout)
        lines = [l for l in r.stdout.splitlines() if l.startswith("  2026-11-")]
        # the last 10 days (--top), days without an export as zero: a gap shows
        self.assertEqual([l.split()[0] for l in lines], [f"2026-11-{d}" for d in range(12, 22)])
        self.assertEqual([l.split()[1] != "0.0" for l in lines], [False] * 7 + [True] * 3)
        total = [l for l in r.stdout.splitlines() if l.strip().startswith("total")][0]
        self.assertTrue(total.rstrip().endswith("EUR"), total)
        r = report(self.lic_db, "--format", "csv", "--until", "2026-11-21", config=self.config)
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = [l.split(",") for l in r.stdout.splitlines() if l.startswith("license,")]
        self.assertEqual(len(rows), len(self.expected) * 6)  # five units and money per environment and day
        fs = sum(Decimal(x[7]) for x in rows if x[6] == "fullstack_hu_hours")
        self.assertEqual(fs, Decimal(sum(v[0] for v in self.expected.values())) / 1000)
        html = os.path.join(self.dir, "license.html")
        r = report(self.lic_db, "--html", html, config=self.config)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(html, encoding="utf-8") as f:
            page = f.read()
        self.assertIn("id='license-hu'", page)
        self.assertIn("id='license-environments'", page)

    def test_cost_and_license_data_side_by_side(self):
        r = report(self.both_db, "--until", "2026-11-21", config=self.config)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Spend by capability", r.stdout)
        self.assertIn("License (classic Managed)", r.stdout)
        lic = self.section(self.both_db, config=self.config)
        self.assertEqual(lic["total"], self.section(self.lic_db, config=self.config)["total"])

    def test_no_license_data_means_no_section(self):
        empty = os.path.join(self.dir, "empty.db")
        sqlite3.connect(empty).close()
        r = report(empty)
        self.assertEqual(r.returncode, 66)
        self.assertIn("dtcost license import", r.stderr)

    def test_a_bad_license_value_is_exit_78_naming_the_key(self):
        bad = os.path.join(self.dir, "bad.ini")
        with open(bad, "w") as f:
            f.write("[license]\nprice_ddu = cheap\n")
        r = report(self.lic_db, config=bad)
        self.assertEqual(r.returncode, 78)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1)
        self.assertIn("price_ddu", r.stderr)
        self.assertIn("cheap", r.stderr)


if __name__ == "__main__":
    unittest.main()
