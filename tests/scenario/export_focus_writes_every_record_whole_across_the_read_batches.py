"""The FOCUS export reads its rows on one thread in batches of at most 1,024
query rows and writes them on another (src/lib/export.c, focus_rows). A
record with cost allocations comes as one query row per allocation, so
records fall across the batches' edges: each is still written whole, split
exactly over its cost centres and products, every record once and in key
order, the environments' names (one unknown to the database) on their rows.
The database is written directly: 3,000 records, every fifth with 7 cost
centres and 5 products (12 query rows), about 9,600 query rows in all."""
import csv
import json
import os
import sqlite3
import subprocess
import unittest
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from emu import DTCOST, tmpdir
from focusrules import apportion

SUB, ACCOUNT = "sub-batches", "acct-batches"
ENVS = {"env-a": "Produktion München", "env-b": "Payments, \"EU\"", "env-c": None}  # env-c: not in the database
CAPS = [f"CAP_{i:02d}" for i in range(10)]
DAYS = [(date(2026, 3, 1) + timedelta(days=i)).isoformat() for i in range(100)]
TAG = {"COSTCENTER": "dynatrace/costcenter", "PRODUCT": "dynatrace/product"}


def records():
    """(env, cap, day, cost, {field: {key: micro}}) in key order."""
    n = 0
    for env in sorted(ENVS):
        for cap in CAPS:
            for day in DAYS:
                cost = 1000003 + 7919 * n
                alloc = {}
                if n % 5 == 0:
                    alloc = {"COSTCENTER": {f"cc{k}": cost // 9 + k for k in range(7)},
                             "PRODUCT": {f"p{k}": cost // 6 - k for k in range(5)}}
                yield env, cap, day, cost, alloc
                n += 1


class RecordsAcrossBatches(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        cls.db = os.path.join(cls.dir, "batches.db")
        open(cls.db, "w").close()  # dtcost creates the schema in an empty file
        r = subprocess.run([DTCOST, "report", "--db", cls.db], capture_output=True, text=True, timeout=60)
        assert os.path.getsize(cls.db), r.stderr
        con = sqlite3.connect(cls.db)
        con.execute("INSERT INTO subscription VALUES (?, ?, 'Batches', 'DPS', 'COMMITMENT', 'ACTIVE', 'USD',"
                    " '2025-01-01', '2025-12-31', '2025-01-01', '2025-12-31', 300, 0, 0)", (SUB, ACCOUNT))
        for env, name in ENVS.items():
            if name is not None:
                con.execute("INSERT INTO environment VALUES (?, ?, ?, 1, 'x')", (ACCOUNT, env, name))
        con.execute("INSERT INTO environment VALUES ('another-account', 'env-c', 'Not this account', 1, 'x')")
        cls.records = list(records())
        for env, cap, day, cost, alloc in cls.records:
            con.execute("INSERT INTO env_cost_day VALUES (?, ?, ?, ?, ?, 'USD', ?, 'c1', ?)",
                        (SUB, env, cap, day, cost, day, cap.title()))
            for field, keys in alloc.items():
                for key, m in keys.items():
                    con.execute("INSERT INTO cost_allocation VALUES (?, ?, ?, ?, ?, ?, ?)",
                                (SUB, env, field, key, cap, day, m))
        con.commit()
        con.close()
        out = os.path.join(cls.dir, "focus.csv")
        r = subprocess.run([DTCOST, "export", "--db", cls.db, "--format", "focus", "--out", out],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        with open(out, encoding="utf-8", newline="") as f:
            cls.rows = [r for r in csv.DictReader(f) if r["x_ChargeKind"] == "usage"]

    def test_every_record_is_written_once_whole_and_in_key_order(self):
        by_record = defaultdict(list)
        order = []
        for r in self.rows:
            key = (r["SubAccountId"], r["SkuId"], r["ChargePeriodStart"][:10])
            if not order or order[-1] != key:
                order.append(key)
            by_record[key].append(r)
        self.assertEqual(order, [(e, c, d) for e, c, d, _, _ in self.records], "each record once, in key order")
        for env, cap, day, cost, alloc in self.records:
            rows = by_record[(env, cap, day)]
            self.assertEqual(sum(int(Decimal(r["EffectiveCost"]) * 1000000) for r in rows), cost, (env, cap, day))
            want_name = ENVS[env] if ENVS[env] is not None else f"Environment {env} (no name in Dynatrace)"
            self.assertEqual({r["SubAccountName"] for r in rows}, {want_name}, env)
            if not alloc:
                self.assertEqual(len(rows), 1, (env, cap, day))
                continue
            got = {f: defaultdict(int) for f in TAG}
            for r in rows:
                tags = json.loads(r["AllocatedTags"] or "{}")
                for f, k in TAG.items():
                    got[f][tags.get(k)] += int(Decimal(r["EffectiveCost"]) * 1000000)
            for f in TAG:
                names = sorted(alloc[f])
                weights = [alloc[f][k] for k in names]
                if cost > sum(weights):
                    names.append(None)
                    weights.append(cost - sum(weights))
                self.assertEqual(dict(got[f]), dict(zip(names, apportion(cost, weights))), (env, cap, day, f))
            self.assertEqual(len(rows), len(got["COSTCENTER"]) * len(got["PRODUCT"]), (env, cap, day))

    def test_the_query_rows_span_several_batches(self):
        """The claim needs records across batch edges: more query rows than
        a few batches hold, with multi-row records among them."""
        query_rows = sum(len(a["COSTCENTER"]) + len(a["PRODUCT"]) if a else 1 for *_, a in self.records)
        self.assertGreater(query_rows, 8 * 1024)


if __name__ == "__main__":
    unittest.main()
