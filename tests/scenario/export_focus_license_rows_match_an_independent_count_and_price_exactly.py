"""Classic (Managed) license units in the FOCUS export: with a [license]
price list, every version's cost-and-usage file gets one Usage row per
cluster, environment, day and priced unit, whose quantity is what the
benchmark's independent Python implementation of the license rules
(bench/license_baseline.py) counts from the same emulator export, whose costs
are that quantity times the price rounded half up to the micro-unit (the
report's money, row for row), and the file still meets every applicable rule
of our FOCUS requirements model and loads into DuckDB typed. Units without a
price are named in a warning and left out, never priced at zero; without a
price list, or without license data, the file is byte for byte what it is
without the [license] section."""
import csv
import io
import json
import os
import subprocess
import sys
import unittest
import zipfile
from decimal import ROUND_HALF_UP, Decimal

import focusrules
from dtsync import run_sync
from emu import DTCOST, Emulator, tmpdir

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import license_baseline  # noqa: E402  (the independent rules)

VERSIONS = ("1.2", "1.3", "1.4")
# 2026-11-19T12:00Z .. 2026-11-22T00:00Z: half a day, then two whole days
T0, T1 = 1795089600000, 1795305600000
PRICES = {"price_fullstack_hu_hour": "0.08", "price_infrastructure_hu_hour": "0.03",
          "price_dem_unit": "0.0025", "price_ddu": "0.001"}
# SkuId: (index in the independent count, its scale, the price's key, the FOCUS unit)
SKUS = {"CLASSIC_HOST_UNIT_HOURS_FULL_STACK": (0, 1000, "price_fullstack_hu_hour", "HostUnit-Hours"),
        "CLASSIC_HOST_UNIT_HOURS_INFRASTRUCTURE": (1, 1000, "price_infrastructure_hu_hour", "HostUnit-Hours"),
        # application-only hosts take the Full-Stack price when none is set for them
        "CLASSIC_HOST_UNIT_HOURS_APPLICATION_ONLY": (2, 1000, "price_fullstack_hu_hour", "HostUnit-Hours"),
        "CLASSIC_DEM_UNITS": (3, 100, "price_dem_unit", "DEMUnits"),
        "CLASSIC_DDUS": (4, 1000000, "price_ddu", "DDUs")}
COSTS = ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost")


def money(qty, price):
    return (Decimal(qty) * Decimal(price)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def export(db, *args, config=None):
    cmd = [DTCOST, "export", "--db", db, "--format", "focus", *args]
    if config:
        cmd += ["--config", config]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DT_", "DTCOST_CONFIG"))}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)


def rows_of(text):
    return list(csv.DictReader(io.StringIO(text)))


class FocusLicenseRows(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        cls.zip = os.path.join(cls.dir, "export.zip")
        cls.both_db = os.path.join(cls.dir, "both.db")
        cls.cost_db = os.path.join(cls.dir, "cost-only.db")
        with Emulator("--hosts", "5", "--cluster-environments", "2", "--days", "40", "--environments", "2",
                      "--capabilities", "4") as emu:
            emu.license_export(cls.zip, T0, T1)
            for db in (cls.both_db, cls.cost_db):
                r = run_sync(emu, db)
                assert r.returncode == 0, r.stderr
        r = subprocess.run([DTCOST, "license", "import", cls.zip, "--db", cls.both_db, "--quiet"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        # The independent count, per (cluster, environment, day).
        cls.expected = {}
        with zipfile.ZipFile(cls.zip) as outer:
            inner = next(n for n in outer.namelist() if n.endswith(".zip"))
            with zipfile.ZipFile(io.BytesIO(outer.read(inner))) as z:
                for n in z.namelist():
                    for row in license_baseline.rows(json.loads(z.read(n))):
                        cluster, env, hour = row[:3]
                        acc = cls.expected.setdefault((cluster, env, hour[:10]), [0, 0, 0, 0, 0])
                        for i, v in enumerate(row[3:8]):
                            acc[i] += v
        cls.config = cls.ini("prices.ini", "[license]\ncurrency = EUR\n"
                             + "".join(f"{k} = {v}\n" for k, v in PRICES.items()))
        cls.files = {}
        for v in VERSIONS:
            path = os.path.join(cls.dir, f"focus-{v}.csv")
            r = export(cls.both_db, "--focus-version", v, "--out", path, config=cls.config)
            assert r.returncode == 0, r.stderr
            assert "warning" not in r.stderr, r.stderr
            with open(path, encoding="utf-8") as f:
                cls.files[v] = f.read()

    @classmethod
    def ini(cls, name, text):
        path = os.path.join(cls.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def want_rows(self, prices):
        """(cluster, environment, day, SkuId) -> (quantity, cost) for every unit used and priced."""
        want = {}
        for (cluster, env, day), figures in self.expected.items():
            for sku, (i, scale, key, _) in SKUS.items():
                if figures[i] > 0 and key in prices:
                    qty = Decimal(figures[i]) / scale
                    want[(cluster, env, day, sku)] = (qty, money(qty, prices[key]))
        return want

    def test_each_version_has_a_row_per_unit_with_the_independent_quantity_and_exact_costs(self):
        want = self.want_rows(PRICES)
        self.assertGreater(len({k[3] for k in want}), 3, "the emulator's export should use most units")
        for v in VERSIONS:
            lic = [r for r in rows_of(self.files[v]) if r["x_ChargeKind"] == "license"]
            got = {}
            for r in lic:
                key = (r["x_ClusterId"], r["SubAccountId"], r["ChargePeriodStart"][:10], r["SkuId"])
                self.assertNotIn(key, got, f"{v}: one row per cluster, environment, day and unit")
                got[key] = (Decimal(r["PricingQuantity"]), Decimal(r["EffectiveCost"]))
                i, scale, price_key, unit = SKUS[r["SkuId"]]
                self.assertEqual(r["ConsumedQuantity"], r["PricingQuantity"])
                self.assertEqual((r["PricingUnit"], r["ConsumedUnit"]), (unit, unit))
                self.assertEqual({r[c] for c in COSTS}, {r["EffectiveCost"]}, f"{v}: all four costs agree")
                self.assertEqual(Decimal(r["ListUnitPrice"]), Decimal(PRICES[price_key]))
                self.assertEqual(r["ContractedUnitPrice"], r["ListUnitPrice"])
                self.assertEqual((r["ChargeCategory"], r["ChargeFrequency"], r["PricingCategory"]),
                                 ("Usage", "Usage-Based", "Standard"))
                self.assertEqual(r["ChargeClass"], "")
                self.assertEqual(r["BillingCurrency"], "EUR")
                self.assertEqual(r["BillingAccountId"], r["x_ClusterId"])
                self.assertEqual(r["SubAccountType"], "Environment")
                if v != "1.2":  # a software license on the customer's own hosts
                    self.assertEqual((r["ServiceProviderName"], r["HostProviderName"]), ("Dynatrace", "Not Applicable"))
                self.assertTrue(r["SubAccountName"] and r["BillingAccountName"] and r["ServiceName"])
                day = r["ChargePeriodStart"][:10]
                self.assertEqual(r["ChargePeriodStart"], f"{day}T00:00:00Z")
                self.assertEqual(r["BillingPeriodStart"], f"{day[:7]}-01T00:00:00Z")
                self.assertEqual(r["BillingPeriodEnd"], "2026-12-01T00:00:00Z")
                self.assertEqual(r["SkuPriceId"], f"{r['SkuId']}/EUR")
            self.assertEqual(got, want, v)

    def test_costs_per_environment_and_day_are_the_reports_license_money(self):
        r = subprocess.run([DTCOST, "report", "--db", self.both_db, "--format", "json", "--until", "2026-11-21",
                            "--window", "7", "--config", self.config], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        report = {(d["cluster"], d["environment"], d["day"]): d["money"]
                  for d in json.loads(r.stdout, parse_float=Decimal)["license"]["by_environment_and_day"]}
        for v in VERSIONS:
            got = {}
            for row in rows_of(self.files[v]):
                if row["x_ChargeKind"] == "license":
                    k = (row["x_ClusterId"], row["SubAccountId"], row["ChargePeriodStart"][:10])
                    got[k] = got.get(k, Decimal(0)) + Decimal(row["EffectiveCost"])
            self.assertEqual(got, {k: m for k, m in report.items() if m}, v)

    def test_the_file_meets_every_applicable_rule_of_its_version(self):
        for v in VERSIONS:
            todo, _ = focusrules.rules(v)
            self.assertTrue(todo)
            self.assertEqual(focusrules.check(self.files[v], v), [], f"FOCUS {v} with license rows")

    def test_license_rows_follow_the_rest_which_is_unchanged(self):
        for v in VERSIONS:
            plain = export(self.both_db, "--focus-version", v)
            self.assertEqual(plain.returncode, 0, plain.stderr)
            lines = self.files[v].splitlines(keepends=True)
            n = sum(1 for r in rows_of(self.files[v]) if r["x_ChargeKind"] == "license")
            self.assertGreater(n, 0)
            self.assertEqual("".join(lines[:-n]), plain.stdout, f"{v}: everything before the license rows")

    def test_without_a_price_list_or_without_license_data_the_file_is_unchanged(self):
        rules_only = self.ini("rules-only.ini", "[license]\ninfrastructure_cap = true\ncurrency = EUR\n")
        for v in VERSIONS:
            plain = export(self.both_db, "--focus-version", v)
            unpriced = export(self.both_db, "--focus-version", v, config=rules_only)
            self.assertEqual((plain.returncode, unpriced.returncode), (0, 0), unpriced.stderr)
            self.assertEqual(unpriced.stdout, plain.stdout, f"{v}: no price list, no license rows")
            self.assertNotIn("warning", unpriced.stderr)
            cost_only = export(self.cost_db, "--focus-version", v)
            priced = export(self.cost_db, "--focus-version", v, config=self.config)
            self.assertEqual((cost_only.returncode, priced.returncode), (0, 0), priced.stderr)
            self.assertEqual(priced.stdout, cost_only.stdout, f"{v}: no license data, no license rows")
            self.assertNotIn("warning", priced.stderr)
        for fmt in ("csv", "jsonl"):
            cmd = [DTCOST, "export", "--db", self.both_db, "--format", fmt]
            a = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            b = subprocess.run(cmd + ["--config", self.config], capture_output=True, text=True, timeout=120)
            self.assertEqual(b.stdout, a.stdout, f"{fmt} has no license rows")

    def test_units_without_a_price_are_named_and_left_out_not_priced_at_zero(self):
        partial = self.ini("partial.ini", "[license]\ncurrency = USD\nprice_fullstack_hu_hour = 0.08\n")
        r = export(self.both_db, "--focus-version", "1.4", config=partial)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("dtcost export: warning: license units without a price left out of the FOCUS file: "
                      "price_infrastructure_hu_hour price_dem_unit price_ddu", r.stderr)
        lic = [x for x in rows_of(r.stdout) if x["x_ChargeKind"] == "license"]
        got = {(x["x_ClusterId"], x["SubAccountId"], x["ChargePeriodStart"][:10], x["SkuId"]):
               (Decimal(x["PricingQuantity"]), Decimal(x["EffectiveCost"])) for x in lic}
        self.assertEqual(got, self.want_rows({"price_fullstack_hu_hour": "0.08"}))
        self.assertEqual({x["BillingCurrency"] for x in lic}, {"USD"})
        # a price list without a usable currency: named, and no license row at all
        for name, cur in (("nocur.ini", ""), ("badcur.ini", "currency = euro\n")):
            path = self.ini(name, f"[license]\n{cur}price_ddu = 0.001\n")
            r = export(self.both_db, "--focus-version", "1.4", config=path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("license units left out of the FOCUS file: [license] currency", r.stderr)
            self.assertNotIn(",license,", r.stdout)

    def test_the_file_loads_into_duckdb_typed_and_sums_per_environment(self):
        duck = os.environ.get("DTCOST_DUCKDB")
        if not duck:
            res = subprocess.run([os.path.join(ROOT, "scripts", "install-duckdb.sh")], capture_output=True,
                                 text=True, timeout=600)
            duck = res.stdout.strip()
        if not duck:
            self.skipTest("DuckDB for Node is not installed (npm or the registry unreachable)")
        want = {}
        for (cluster, env, day, sku), (_, cost) in self.want_rows(PRICES).items():
            want[env] = want.get(env, Decimal(0)) + cost
        for v in VERSIONS:
            path = os.path.join(self.dir, f"focus-{v}.csv")
            header = self.files[v].splitlines()[0].split(",")
            decimal = {"BilledCost", "ContractedCost", "EffectiveCost", "ListCost", "PricingQuantity",
                       "ConsumedQuantity", "ContractedUnitPrice", "ListUnitPrice"}
            dates = {"BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd",
                     "x_BookingDate", "x_LastModifiedTime"}
            types = {c: "DECIMAL(38,10)" if c in decimal else "TIMESTAMPTZ" if c in dates else
                     "JSON" if c == "ContractApplied" else "VARCHAR" for c in header}
            sql = [f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_csv('{path}', header = true))",
                   f"SELECT SubAccountId AS env, SUM(CAST(EffectiveCost AS DECIMAL(38,6))) AS cost,"
                   f" COUNT(*) AS n FROM read_csv('{path}', header = true, columns = {json.dumps(types)})"
                   f" WHERE x_ChargeKind = 'license' GROUP BY ALL"]
            r = subprocess.run(["node", os.path.join(HERE, "lib", "duckdb_query.cjs"), json.dumps(sql)],
                               capture_output=True, text=True, timeout=300,
                               env={**os.environ, "NODE_PATH": os.path.join(duck, "node_modules")})
            self.assertEqual(r.returncode, 0, r.stderr)
            described, sums = json.loads(r.stdout)
            detected = {c["column_name"]: c["column_type"] for c in described}
            for c in decimal:
                self.assertTrue(detected[c].startswith(("DOUBLE", "DECIMAL", "BIGINT", "INTEGER")), f"{v} {c}")
            for c in dates:
                self.assertEqual(detected[c], "TIMESTAMP WITH TIME ZONE", f"{v} {c}")
            self.assertEqual({s["env"]: Decimal(str(s["cost"])) for s in sums}, want, v)


if __name__ == "__main__":
    unittest.main()
