"""The FOCUS file loads into DuckDB (the @duckdb/node-api client from npm, as
a FinOps analyst would load it) with every column typed as FOCUS says
(Decimal columns numeric, Date/Time columns timestamps with time zone,
String columns text), the same file also loads with the FOCUS types stated
exactly (DECIMAL(38,10), TIMESTAMPTZ, JSON), and "cost by service" and "cost
per subscription and month" queries over it give the figures of `dtcost
report` over the same database: byCapability's window in --format json and
the `month` rows of --format csv.

Needs DuckDB for Node (scripts/install-duckdb.sh, run here; env DTCOST_DUCKDB
names an installed folder): without npm or the registry the test is skipped
(exit 77) with the reason."""
import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
import unittest
from decimal import Decimal

import focusrules
from emu import DTCOST, tmpdir

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VERSIONS = ("1.2", "1.3", "1.4")
DECIMAL = {"BilledCost", "ContractedCost", "EffectiveCost", "ListCost", "PricingQuantity", "ConsumedQuantity",
           "ContractedUnitPrice", "ListUnitPrice"}
DATETIME = {"BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd", "x_BookingDate",
            "x_LastModifiedTime"}
JSON_COLS = {"ContractApplied", "Tags", "AllocatedMethodDetails", "AllocatedTags"}
NUMERIC_TYPES = ("DOUBLE", "DECIMAL", "BIGINT", "INTEGER", "FLOAT")


def duckdb_dir():
    d = os.environ.get("DTCOST_DUCKDB")
    if d:
        return d
    r = subprocess.run([os.path.join(ROOT, "scripts", "install-duckdb.sh")], capture_output=True, text=True,
                       timeout=600)
    return r.stdout.strip() or None


def query(*sql):
    """Each statement's rows, from one node process (one DuckDB instance)."""
    r = subprocess.run(["node", os.path.join(HERE, "lib", "duckdb_query.cjs"), json.dumps(sql)],
                       capture_output=True, text=True, timeout=300,
                       env={**os.environ, "NODE_PATH": os.path.join(DUCKDB, "node_modules")})
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def d(v):
    return Decimal(str(v)) if v is not None else Decimal(0)


class FocusInDuckDB(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # the demo's, split rows in the report's window at a sixteenth of the size
        # (focusrules.allocate_one_month), exported once for the test files that read it
        cls.dir = focusrules.demo_export()
        cls.db = os.path.join(cls.dir, "demo.db")
        cls.files = {v: os.path.join(cls.dir, f"focus-{v}.csv") for v in VERSIONS}
        # Each file loaded once, typed as DuckDB's sniffer types it, into a table of a database file
        # the tests attach (one node process each, not one per query and file)
        # (a version's file that is an earlier one's bytes, as 1.4's is 1.3's, is that one's table)
        cls.duck, blobs, cls.same = os.path.join(tmpdir(), "focus.duckdb"), {}, {}
        for v in VERSIONS:
            with open(cls.files[v], "rb") as f:
                blobs[v] = f.read()
            cls.same[v] = next((w for w in VERSIONS if blobs.get(w) == blobs[v]), v)
        query(f"ATTACH '{cls.duck}' AS focus", *[f"CREATE TABLE focus.{cls.table(v)} AS SELECT * FROM "
                                                 f"read_csv('{cls.files[v]}', header = true)"
                                                 for v in VERSIONS if cls.same[v] == v])
        r = subprocess.run([DTCOST, "report", "--db", cls.db, "--format", "json"], capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr
        cls.report = json.loads(r.stdout)
        r = subprocess.run([DTCOST, "report", "--db", cls.db, "--format", "csv", "--by", "month"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        cls.report_csv = list(csv.reader(io.StringIO(r.stdout)))

    @classmethod
    def table(cls, v):
        """The table the version's file is loaded into."""
        return "focus_" + cls.same[v].replace(".", "_")

    def loaded(self, *sql):
        """query() with the loaded files attached: focus.focus_1_2 and so on."""
        return query(f"ATTACH '{self.duck}' AS focus (READ_ONLY)", *sql)[1:]

    def test_every_column_is_typed_as_focus_says(self):
        described = dict(zip(VERSIONS, self.loaded(*[f"DESCRIBE focus.{self.table(v)}" for v in VERSIONS])))
        stated, has_applied = [], {}
        for v in VERSIONS:
            f = self.files[v]
            types = {c["column_name"]: c["column_type"] for c in described[v]}
            with open(f, encoding="utf-8") as fh:
                self.assertEqual(list(types), next(csv.reader(fh)), v)
            for col, t in types.items():
                if col in DECIMAL:
                    self.assertTrue(t.startswith(NUMERIC_TYPES), f"{v} {col} is {t}")
                elif col in DATETIME:
                    self.assertEqual(t, "TIMESTAMP WITH TIME ZONE", f"{v} {col}")
                else:
                    self.assertEqual(t, "VARCHAR", f"{v} {col}")
            # the dialect stated with the types: a 1.2 file's first quoted field (a split row's
            # Tags) can come after the rows DuckDB's sniffer looks at for the escape character
            rfc4180 = "quote = '\"', escape = '\"', "
            exact = {c: ("DECIMAL(38,10)" if c in DECIMAL else "TIMESTAMPTZ" if c in DATETIME else
                         "JSON" if c in JSON_COLS else "VARCHAR") for c in types}
            applied = ("ContractApplied IS NOT NULL AND json_extract_string(ContractApplied,"
                       " '$.Elements[0].ContractCommitmentId') IS NOT NULL" if "ContractApplied" in types else "false")
            has_applied[v] = "ContractApplied" in types
            stated.append(f"SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE {applied}) AS parsed"
                          f" FROM read_csv('{f}', header = true, {rfc4180}columns = {json.dumps(exact)})")
        for v, ((counted,), lines) in zip(VERSIONS, zip(query(*stated), map(self.lines, VERSIONS))):
            self.assertEqual(int(counted["n"]), lines - 1, v)
            if has_applied[v]:
                self.assertGreater(int(counted["parsed"]), 0, f"{v}: ContractApplied read as JSON")

    def lines(self, v):
        with open(self.files[v], encoding="utf-8") as fh:
            return sum(1 for _ in fh)

    def test_cost_by_service_over_the_window_is_the_reports(self):
        as_of = dt.date.fromisoformat(self.report["as_of"])
        first = as_of - dt.timedelta(days=29)  # the report's default 30-day window
        want = {(c["name"], c["currency"]): d(c["current"]) for c in self.report["by_capability"]}
        self.assertTrue(want)
        answers = self.loaded(*[
            f"SELECT ServiceName, BillingCurrency, SUM(CAST(EffectiveCost AS DECIMAL(38,6))) AS cost"
            f" FROM focus.{self.table(v)}"
            f" WHERE x_ChargeKind IN ('usage', 'overage', 'correction')"
            f"   AND ChargePeriodStart >= TIMESTAMPTZ '{first}T00:00:00Z'"
            f"   AND ChargePeriodStart < TIMESTAMPTZ '{as_of + dt.timedelta(days=1)}T00:00:00Z'"
            f" GROUP BY ALL" for v in VERSIONS])
        for v, rows in zip(VERSIONS, answers):
            got = {(r["ServiceName"], r["BillingCurrency"]): d(r["cost"]) for r in rows}
            self.assertEqual(got, {k: c for k, c in want.items() if c or k in got}, v)

    def test_cost_by_cost_centre_and_by_product_is_the_reports_chargeback(self):
        """Grouping the split rows by either tag gives what `dtcost report`
        shows per cost centre and per product over its window."""
        as_of = dt.date.fromisoformat(self.report["as_of"])
        first = as_of - dt.timedelta(days=29)
        want = {(a["field"], a["key"], a["currency"]): d(a["current"]) for a in self.report["cost_allocation"]}
        self.assertEqual({f for f, _, _ in want}, {"COSTCENTER", "PRODUCT"})
        fields = (("COSTCENTER", "dynatrace/costcenter"), ("PRODUCT", "dynatrace/product"))
        answers = iter(self.loaded(*[
            f"SELECT json_extract_string({'Tags' if v == '1.2' else 'AllocatedTags'}, '$.\"{tag}\"') AS k,"
            f" BillingCurrency AS c, SUM(CAST(EffectiveCost AS DECIMAL(38,6))) AS cost"
            f" FROM focus.{self.table(v)}"
            f" WHERE ChargePeriodStart >= TIMESTAMPTZ '{first}T00:00:00Z'"
            f"   AND ChargePeriodStart < TIMESTAMPTZ '{as_of + dt.timedelta(days=1)}T00:00:00Z'"
            f" GROUP BY 1, 2 HAVING k IS NOT NULL" for v in VERSIONS for _, tag in fields]))
        for v in VERSIONS:
            got = {}
            for field, _ in fields:
                got.update({(field, r["k"], r["c"]): d(r["cost"]) for r in next(answers)})
            self.assertEqual(got, {k: c for k, c in want.items() if c or k in got}, v)

    def test_cost_per_subscription_and_month_is_the_reports(self):
        want = {(r[1], r[4][:7]): d(r[7]) for r in self.report_csv[1:] if r[0] == "month" and r[6] == "cost"}
        self.assertTrue(want)
        answers = self.loaded(*[
            f"SELECT x_SubscriptionUuid AS sub, strftime(ChargePeriodStart AT TIME ZONE 'UTC', '%Y-%m') AS month,"
            f" SUM(CAST(EffectiveCost AS DECIMAL(38,6))) AS cost FROM focus.{self.table(v)}"
            f" WHERE x_ChargeKind IN ('usage', 'overage', 'correction') GROUP BY ALL" for v in VERSIONS])
        for v, rows in zip(VERSIONS, answers):
            got = {(r["sub"], r["month"]): d(r["cost"]) for r in rows}
            # the report shows the last months (zero where a subscription had no cost)
            self.assertEqual({k: got.get(k, Decimal(0)) for k in want}, want, v)
            self.assertGreater(len([c for c in want.values() if c]), 10)


if __name__ == "__main__":
    DUCKDB = duckdb_dir()
    if not DUCKDB:
        print("SKIP: DuckDB for Node is not installed and scripts/install-duckdb.sh could not install it "
              "(npm or the registry unreachable)", file=sys.stderr)
        sys.exit(77)
    unittest.main()
