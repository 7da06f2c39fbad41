"""`dtcost export --format focus` carries the cost centres and products
Dynatrace's cost allocation assigns: a record (subscription, environment,
capability, day) with allocation becomes one row per cost centre x product
(the part no cost centre, or no product, carries being one more of each),
tagged {"dynatrace/costcenter": ..., "dynatrace/product": ...} (Tags in
1.2; AllocatedMethodId, AllocatedMethodDetails, AllocatedResourceId,
AllocatedResourceName and AllocatedTags in 1.3/1.4). Checked against the
database, per version: the rows of a record sum to it to the micro-unit;
each cost centre's rows and each product's rows sum exactly to what
Dynatrace allocates to it; the part no key carries is null; allocations
beyond the record are scaled to it, still exact per key; records without
allocation stay one row."""
import json
import os
import sqlite3
import subprocess
import unittest
from collections import defaultdict
from decimal import Decimal

from check import Mismatches
from dtsync import rows, run_sync
from emu import DTCOST, Emulator, tmpdir
from focusrules import apportion, records, records_of

VERSIONS = ("1.2", "1.3", "1.4")
FIELDS = {"COSTCENTER": "dynatrace/costcenter", "PRODUCT": "dynatrace/product"}
METHOD = "dynatrace-cost-allocation/COSTCENTER-PRODUCT"


def micro(s):
    return int(Decimal(s) * 1000000)


# the columns record(), tags() and shares() read, and the null part's test
READ = ("x_SubscriptionUuid", "SubAccountId", "SkuId", "ChargePeriodStart", "x_ChargeKind", "EffectiveCost", "Tags",
        "AllocatedTags", "AllocatedMethodId", "AllocatedResourceId")


def write(db, v, out):
    """The version's FOCUS export of db, written to out."""
    r = subprocess.run([DTCOST, "export", "--db", db, "--format", "focus", "--focus-version", v, "--out", out],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return out


def export(db, v, out, columns=None):
    """The rows of the version's FOCUS export of db, written to out (of
    their columns, those named)."""
    with open(write(db, v, out), encoding="utf-8") as f:
        return records(f, columns)


def tags(row, v):
    """{field: key or None} of a split row; None for a row no split made."""
    t = row["Tags"] if v == "1.2" else row["AllocatedTags"]
    if v != "1.2" and not row["AllocatedMethodId"]:
        return None
    if not t:
        return None if v == "1.2" else {f: None for f in FIELDS}  # 1.3/1.4: the unallocated cell has no tags
    got = json.loads(t)
    assert set(got) == set(FIELDS.values()), got
    return {f: got[k] for f, k in FIELDS.items()}


def record(row):
    return (row["x_SubscriptionUuid"], row["SubAccountId"], row["SkuId"], row["ChargePeriodStart"][:10])




def where(w):
    """A Mismatches where: a record (subscription, environment, capability,
    day) and what was checked."""
    return " ".join(map(str, w))


def copy(src, dst, *sql):
    con = sqlite3.connect(src)
    con.execute("VACUUM INTO ?", (dst,))
    con.close()
    con = sqlite3.connect(dst)
    for s in sql:
        con.execute(*s) if isinstance(s, tuple) else con.execute(s)
    con.commit()
    con.close()


class CostCentresAndProducts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        cls.db = os.path.join(cls.dir, "alloc.db")
        with Emulator("--days", "60", "--environments", "2") as emu:
            res = run_sync(emu, cls.db)
            # one of the emulator's subscriptions predates cost allocation: a 404 for it is expected
            assert os.path.exists(cls.db), res.stderr
        cls.cost = {tuple(r[:4]): r[4] for r in rows(
            cls.db, "SELECT subscription_uuid, environment_id, capability_key, day, cost_micro FROM env_cost_day")}
        cls.alloc = cls.allocations(cls.db)
        assert cls.alloc, "the emulator should allocate cost to cost centres and products"
        # a version's file can be the same bytes as another's: read once (read them, change nothing)
        cls.files = dict(zip(VERSIONS, records_of([write(cls.db, v, os.path.join(cls.dir, f"f{v}.csv"))
                                                   for v in VERSIONS])))
        cls.shared = {}
        # the versions whose rows are not an earlier version's: checking the same rows twice checks nothing
        # more (were 1.4's file to differ from 1.3's, both would be checked)
        cls.distinct = [v for i, v in enumerate(VERSIONS)
                        if all(cls.files[v] is not cls.files[w] for w in VERSIONS[:i])]

    def shares_of(self, v):
        """shares() of the version's file, worked out once: read it, change nothing."""
        if v not in self.shared:
            self.shared[v] = self.shares(self.files[v], v)
        return self.shared[v]

    @staticmethod
    def allocations(db):
        """{record: {field: {key: micro}}}"""
        out = defaultdict(lambda: {f: {} for f in FIELDS})
        for sub, env, cap, day, field, key, c in rows(
                db, "SELECT subscription_uuid, environment_id, capability_key, day, field, alloc_key, cost_micro"
                " FROM cost_allocation"):
            out[(sub, env, cap, day)][field][key] = c
        return out

    @staticmethod
    def shares(data, v):
        """Per record: EffectiveCost per field and key (None: the part no key
        carries), the cost of its rows, and the kinds of rows it has."""
        per = defaultdict(lambda: {f: defaultdict(int) for f in FIELDS})
        total, kinds, split = defaultdict(int), defaultdict(set), defaultdict(list)
        for r in data:
            if r["x_ChargeKind"] not in ("usage", "overage", "correction"):
                continue
            k, m, t = record(r), micro(r["EffectiveCost"]), tags(r, v)
            total[k] += m
            kinds[k].add(r["x_ChargeKind"])
            split[k].append(t is not None)
            for f in FIELDS:
                if t is not None:
                    per[k][f][t[f]] += m
        return per, total, kinds, split

    def test_each_key_gets_exactly_what_the_database_allocates(self):
        for v in self.distinct:
            per, total, kinds, split = self.shares_of(v)
            exact, m = 0, Mismatches()
            self.assertEqual(set(total), set(self.cost), f"{v}: every record is in the file")
            for k, c in total.items():
                m.eq(c, self.cost[k], (k, "the record's rows sum to it"))
                want = self.alloc.get(k)
                if not want:
                    m.eq(split[k], [False] * len(split[k]), (k, "no allocation, no split"))
                    m.eq(len(split[k]), len(kinds[k]), (k, "one row per kind"))
                    continue
                if kinds[k] != {"usage"}:
                    continue  # split at the end of the commitment, or corrected: two amounts split apart
                m.eq(all(split[k]), True, (k, "every row of an allocated record is a cell"))
                n = {f: len([a for a in want[f].values() if a]) for f in FIELDS}
                for f in FIELDS:
                    keys = {key: a for key, a in want[f].items() if a}
                    if sum(keys.values()) <= self.cost[k]:
                        rest = self.cost[k] - sum(keys.values())
                        m.eq(dict(per[k][f]), {**keys, **({None: rest} if rest else {})},
                             (k, f, "each key's rows sum to its allocation"))
                        exact += 1
                cells = (n["COSTCENTER"] + (None in per[k]["COSTCENTER"])) * (
                    n["PRODUCT"] + (None in per[k]["PRODUCT"]))
                m.eq(len(split[k]), cells, (k, "one row per cost centre x product"))
            m.done(self, v, where)
            self.assertGreater(exact, 2000, f"{v}: records compared key by key")

    def test_split_columns_say_what_each_cell_is(self):
        for v in [v for v in self.distinct if v != "1.2"]:
            ratio, m = defaultdict(Decimal), Mismatches()
            self.assertNotIn("Tags", self.files[v][0], f"{v}: the split is split cost allocation, not resource tags")
            for r in self.files[v]:
                if not r["AllocatedMethodId"]:
                    m.eq((r["AllocatedMethodDetails"], r["AllocatedResourceId"], r["AllocatedResourceName"],
                          r["AllocatedTags"]), ("", "", "", ""), (record(r), "Allocated* only on split rows"))
                    continue
                k = record(r)
                m.eq(r["AllocatedMethodId"], METHOD, (k, "AllocatedMethodId"))
                t = tags(r, v)
                cc, prod = t["COSTCENTER"], t["PRODUCT"]
                m.eq(r["AllocatedResourceId"], ";".join(
                    [f"costcenter={cc}"] * (cc is not None) + [f"product={prod}"] * (prod is not None)),
                    (k, "AllocatedResourceId"))
                m.eq(r["AllocatedResourceName"],
                     "" if cc is None and prod is None else f"{cc or 'no cost centre'} / {prod or 'no product'}",
                     (k, "AllocatedResourceName"))
                (el,) = json.loads(r["AllocatedMethodDetails"], parse_float=Decimal)["Elements"]
                m.almost(float(el["AllocatedRatio"]), float(el["x_CostCenterRatio"] * el["x_ProductRatio"]), 12,
                         (k, "AllocatedRatio is the product of the two"))
                want = self.alloc[k]
                for f, key, rf in (("COSTCENTER", cc, "x_CostCenterRatio"), ("PRODUCT", prod, "x_ProductRatio")):
                    whole = max(self.cost[k], sum(want[f].values()))
                    a = want[f][key] if key is not None else whole - sum(want[f].values())
                    m.almost(float(el[rf]), a / whole, 12, (k, f, key))
                if r["x_ChargeKind"] == "usage" and r["PricingQuantity"] != "0":
                    ratio[k] += el["AllocatedRatio"]
            self.assertTrue(ratio)
            for k, s in ratio.items():
                m.almost(float(s), 1.0, 9, (k, "the ratios of an origin charge"))
            m.done(self, v, where)
        for r in self.files["1.2"]:
            self.assertNotIn("AllocatedMethodId", r, "1.2 has no split cost allocation columns")

    def test_the_part_no_key_carries_is_null(self):
        """A cost centre's allocation removed: its cost is the null cost
        centre's, across the products; a record without product allocation
        has the product null on every row."""
        _, _, kinds, _ = self.shares_of("1.4")
        whole = sorted(k for k in self.alloc if kinds[k] == {"usage"} and any(self.alloc[k]["COSTCENTER"].values()))
        sub, env, cap, day = whole[-1]  # written as one amount: its cells are the allocations
        key, c = next((key, m) for key, m in sorted(self.alloc[whole[-1]]["COSTCENTER"].items()) if m)
        other = whole[0]
        db = os.path.join(self.dir, "less.db")
        copy(self.db, db, ("DELETE FROM cost_allocation WHERE subscription_uuid = ? AND environment_id = ?"
                           " AND field = 'COSTCENTER' AND alloc_key = ? AND capability_key = ? AND day = ?",
                           (sub, env, key, cap, day)),
             ("DELETE FROM cost_allocation WHERE subscription_uuid = ? AND environment_id = ?"
              " AND capability_key = ? AND day = ? AND field = 'PRODUCT'", other))
        files = records_of([write(db, v, os.path.join(self.dir, f"less{v}.csv")) for v in VERSIONS], READ)
        for v, file in zip(VERSIONS, files):
            data = [r for r in file if r["x_ChargeKind"] != "correction"]
            got = [r for r in data if record(r) == (sub, env, cap, day)]
            free = [r for r in got if tags(r, v)["COSTCENTER"] is None]
            self.assertEqual(sum(micro(r["EffectiveCost"]) for r in free), c, f"{v}: what the removed centre had")
            self.assertEqual(len(free), len({tags(r, v)["PRODUCT"] for r in got}), f"{v}: one per product")
            self.assertNotIn(key, {tags(r, v)["COSTCENTER"] for r in got})
            if v != "1.2":
                self.assertTrue(all(r["AllocatedResourceId"].startswith("product=") for r in free), v)
            got = [r for r in data if record(r) == other]
            self.assertTrue(got and all(tags(r, v)["PRODUCT"] is None for r in got), f"{v}: no product allocated")
            self.assertEqual(sum(micro(r["EffectiveCost"]) for r in got), self.cost[other])

    def test_allocations_beyond_the_record_are_scaled_to_it_exactly(self):
        """Dynatrace's allocations may add up to more than the record (a
        late booking lowered it): the rows still sum to the record, and each
        key's rows to its share of it, floored with the micro-units left
        going to the largest remainders, for both fields at once."""
        db = os.path.join(self.dir, "more.db")
        copy(self.db, db, "UPDATE cost_allocation SET cost_micro = cost_micro * 3 + 1 WHERE field = 'COSTCENTER'",
             "UPDATE cost_allocation SET cost_micro = cost_micro * 7 + length(alloc_key) WHERE field = 'PRODUCT'")
        alloc = self.allocations(db)
        for v in ("1.2", "1.4"):
            per, total, kinds, _ = self.shares(export(db, v, os.path.join(self.dir, f"more{v}.csv"), READ), v)
            odd, m = 0, Mismatches()
            for k, want in alloc.items():
                if kinds.get(k) != {"usage"}:
                    continue
                m.eq(total[k], self.cost[k], (k, "the rows sum to the record"))
                for f in FIELDS:
                    keys = sorted(want[f])
                    parts = apportion(self.cost[k], [want[f][key] for key in keys])
                    m.eq(dict(per[k][f]), {key: p for key, p in zip(keys, parts)}, (k, f))
                    odd += self.cost[k] * len(keys) % sum(want[f].values()) != 0
            m.done(self, v, where)
            self.assertGreater(odd, 1000, f"{v}: records whose shares needed rounding")


if __name__ == "__main__":
    unittest.main()
