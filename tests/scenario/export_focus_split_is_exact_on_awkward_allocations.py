"""The FOCUS export's split over cost centres x products stays exact where
the arithmetic is awkward: a record of a few micro-units over keys that
each get a fraction of one; allocations that add up to more than the record;
a negative record; more keys of one field than the export splits by (64);
keys the file cannot state (padded, a control character, longer than 256
bytes) and negative allocations. In each case the rows sum to the record,
every cost centre's rows and every product's rows to the share the export
documents (floored, the micro-units left to the largest remainders), and
the part no key carries is null. The database is written directly, so each
case is exactly the one stated."""
import csv
import json
import os
import sqlite3
import subprocess
import unittest
from collections import defaultdict
from decimal import Decimal

from emu import DTCOST, tmpdir
from focusrules import apportion

SUB, ENV, DAY = "sub-awkward", "env-1", "2026-03-0"
TAG = {"COSTCENTER": "dynatrace/costcenter", "PRODUCT": "dynatrace/product"}




# capability: (record cost, {field: {key: allocation}}), one day each
CASES = {
    "TINY": (7, {"COSTCENTER": {"a": 1, "b": 1, "c": 1}, "PRODUCT": {"p": 2, "q": 3}}),
    "ODD": (1000003, {"COSTCENTER": {"a": 333334, "b": 333334, "c": 333336, "d": 1},
                      "PRODUCT": {"p": 500001, "q": 500001, "r": 3}}),
    "BEYOND": (10, {"COSTCENTER": {"a": 7, "b": 7, "c": 7}, "PRODUCT": {"p": 9, "q": 2}}),
    "NEGATIVE": (-11, {"COSTCENTER": {"a": 5, "b": 6}, "PRODUCT": {"p": 3}}),
    "MANY": (1000, {"COSTCENTER": {f"cc{i:02d}": 10 for i in range(65)}, "PRODUCT": {"p": 400, "q": 600}}),
    "UNSTATEABLE": (100, {"COSTCENTER": {" padded": 10, "tab\there": 10, "x" * 257: 10, "ok": 10, "neg": -5},
                          "PRODUCT": {"p": 100}}),
}


class AwkwardSplits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        cls.db = os.path.join(cls.dir, "awkward.db")
        open(cls.db, "w").close()  # an empty file: dtcost opens it and creates the schema, finding no data
        r = subprocess.run([DTCOST, "report", "--db", cls.db], capture_output=True, text=True, timeout=60)
        assert os.path.getsize(cls.db), r.stderr
        con = sqlite3.connect(cls.db)
        con.execute("INSERT INTO subscription VALUES (?, 'acct', 'Awkward', 'DPS', 'COMMITMENT', 'ACTIVE', 'USD',"
                    " '2026-01-01', '2026-12-31', '2026-01-01', '2026-12-31', 300, 0, 0)", (SUB,))
        for i, (cap, (cost, alloc)) in enumerate(CASES.items()):
            day = f"{DAY}{i + 1}"
            con.execute("INSERT INTO env_cost_day VALUES (?, ?, ?, ?, ?, 'USD', ?, 'c1', ?)",
                        (SUB, ENV, cap, day, cost, day, cap.title()))
            for field, keys in alloc.items():
                for key, m in keys.items():
                    con.execute("INSERT INTO cost_allocation VALUES (?, ?, ?, ?, ?, ?, ?)",
                                (SUB, ENV, field, key, cap, day, m))
        con.commit()
        con.close()
        cls.files = {}
        for v in ("1.2", "1.4"):
            out = os.path.join(cls.dir, f"f{v}.csv")
            r = subprocess.run([DTCOST, "export", "--db", cls.db, "--format", "focus", "--focus-version", v,
                                "--out", out], capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, r.stderr
            with open(out, encoding="utf-8") as f:
                cls.files[v] = [r for r in csv.DictReader(f) if r["x_ChargeKind"] == "usage"]

    def split(self, v, cap):
        got = {f: defaultdict(int) for f in TAG}
        rows = [r for r in self.files[v] if r["SkuId"] == cap]
        for r in rows:
            t = json.loads((r["Tags"] if v == "1.2" else r["AllocatedTags"]) or "{}")
            m = int(Decimal(r["EffectiveCost"]) * 1000000)
            for f, k in TAG.items():
                got[f][t.get(k)] += m
        return rows, got

    def expect(self, cost, keys):
        """{key or None: share} as the export documents it: allocations of
        stateable keys, the rest of the record to None, scaled to the record
        when they add up to more."""
        keys = {k: m for k, m in keys.items() if m >= 0 and 0 < len(k) <= 256 and k == k.strip()
                and not any(ord(c) < 32 for c in k)}
        names = sorted(keys)
        weights = [keys[k] for k in names]
        if cost > sum(weights):
            names.append(None)
            weights.append(cost - sum(weights))
        sign = -1 if cost < 0 else 1
        return {k: sign * p for k, p in zip(names, apportion(abs(cost), weights)) if weights[names.index(k)]}

    def test_every_case_sums_exactly_per_key_and_in_all(self):
        for v in self.files:
            for cap, (cost, alloc) in CASES.items():
                if cap == "MANY":
                    continue
                rows, got = self.split(v, cap)
                self.assertEqual(sum(int(Decimal(r["EffectiveCost"]) * 1000000) for r in rows), cost, f"{v} {cap}")
                for f in TAG:
                    self.assertEqual(dict(got[f]), self.expect(cost, alloc[f]), f"{v} {cap} {f}")
                self.assertEqual(len(rows), len(got["COSTCENTER"]) * len(got["PRODUCT"]), f"{v} {cap}: cells")

    def test_more_keys_than_the_limit_are_not_split_by(self):
        for v in self.files:
            rows, got = self.split(v, "MANY")
            self.assertEqual(dict(got["COSTCENTER"]), {None: 1000}, f"{v}: 65 cost centres: not split by them")
            self.assertEqual(dict(got["PRODUCT"]), {"p": 400, "q": 600}, f"{v}: still split by product")
            self.assertEqual(len(rows), 2)

    def test_a_cell_of_a_fraction_of_a_micro_unit_is_still_a_row(self):
        rows, _ = self.split("1.4", "TINY")
        self.assertEqual(len(rows), 4 * 3)
        ratio = sum(Decimal(json.loads(r["AllocatedMethodDetails"])["Elements"][0]["AllocatedRatio"]) for r in rows)
        self.assertAlmostEqual(float(ratio), 1.0, places=12)
        self.assertIn("0.000000", {r["EffectiveCost"] for r in rows})


if __name__ == "__main__":
    unittest.main()
