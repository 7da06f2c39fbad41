"""`dtcost export --format focus` says what the database says, in every
FOCUS version (1.2, 1.3, 1.4): EffectiveCost per subscription and month
equals the database to the micro-unit; BilledCost sums to the commitment
(a Purchase row at the start of its period) plus the overage beyond it; the
unused remainder of a closed period is its own row; the ContractCommitment
file (1.3, 1.4) holds each subscription's budget and periods; ListCost and
ContractedCost are the rate card's quoted and contracted price times the
quantity, exactly; units are in the FOCUS Unit Format; names are never blank
and never a spreadsheet formula; Correction rows for late bookings seen after
their month closed; --out FILE.gz is the same file compressed; [export] in
the config sets the default version; CSV and JSON Lines carry the same rows;
--out is all or nothing."""
import csv
import gzip
import io
import json
import os
import subprocess
import unittest
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import focusrules
from check import all_equal
from dtsync import rows, run_sync
from emu import DTCOST, Emulator, tmpdir

VERSIONS = ("1.2", "1.3", "1.4")
UNITS = {"GiB-hour": "GiB-Hours", "1,000 spans": "1000 Spans", "session": "Sessions", "GiB scanned": "GiB",
         "host-hour": "Host-Hours", "1,000 log records": "1000 Records"}


def export(db, *args, env=None):
    return subprocess.run([DTCOST, "export", "--db", db, *args], capture_output=True, text=True, timeout=120,
                          env=env)


def micro(s):
    return int(Decimal(s) * 1000000)


def first_difference(a, b):
    """None when the bytes are equal, else where they first differ: the line
    and byte, and the bytes around it in each."""
    if a == b:
        return None
    la, lb = a.split(b"\n"), b.split(b"\n")
    n = next((i for i, (x, y) in enumerate(zip(la, lb)) if x != y), min(len(la), len(lb)))
    x, y = (ls[n] if n < len(ls) else b"" for ls in (la, lb))
    at = next((i for i, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
    return f"line {n + 1}, byte {at + 1}: ...{x[max(0, at - 60):at + 60]!r} != ...{y[max(0, at - 60):at + 60]!r}"


class ExportFocus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        cls.db = os.path.join(cls.dir, "full.db")
        # Two years of history: the expired subscription's term is complete and overdrawn.
        with Emulator("--days", "730", "--environments", "3") as emu:
            res = run_sync(emu, cls.db)
            assert res.returncode == 0, res.stderr
        focusrules.allocate_one_month(cls.db)  # split rows in one month, the files a sixteenth of the size
        cls.rows, cls.cc = {}, {}
        for v in VERSIONS:
            r = export(cls.db, "--format", "focus", "--focus-version", v, "--out", os.path.join(cls.dir, f"f{v}.csv"),
                       "--billing-account-name", "=Acme Corp")
            assert r.returncode == 0, r.stderr
        # 1.3's and 1.4's cost-and-usage files are the same bytes: read once (read them, change nothing)
        cls.rows = dict(zip(VERSIONS, focusrules.records_of([os.path.join(cls.dir, f"f{v}.csv") for v in VERSIONS])))
        # the versions whose rows are not an earlier version's: the row checks of the same rows twice check
        # nothing more (were 1.4's file to differ from 1.3's, both would be checked)
        cls.distinct = [v for i, v in enumerate(VERSIONS)
                        if all(cls.rows[v] is not cls.rows[w] for w in VERSIONS[:i])]
        for v in VERSIONS:
            cc = os.path.join(cls.dir, f"f{v}.contract-commitment.csv")
            if os.path.exists(cc):
                with open(cc, encoding="utf-8") as f:
                    cls.cc[v] = focusrules.records(f)
        cls.subs = rows(cls.db, "SELECT uuid, budget_total_micro, budget_used_micro, period_start, period_end,"
                                " currency FROM subscription")

    def test_effective_cost_per_subscription_and_month_equals_the_database(self):
        want = dict(((s, m), c) for s, m, c in rows(
            self.db, "SELECT subscription_uuid, substr(day, 1, 7), SUM(cost_micro) FROM env_cost_day GROUP BY 1, 2"))
        for v in self.distinct:
            got = defaultdict(int)
            for r in self.rows[v]:
                if r["x_ChargeKind"] in ("usage", "overage", "correction"):
                    got[(r["x_SubscriptionUuid"], r["ChargePeriodStart"][:7])] += micro(r["EffectiveCost"])
            self.assertEqual(dict(got), want, f"FOCUS {v}")

    def test_billed_cost_is_the_commitment_plus_the_overage(self):
        over_total = 0
        for v in self.distinct:
            billed = defaultdict(int)
            for r in self.rows[v]:
                billed[r["x_SubscriptionUuid"]] += micro(r["BilledCost"])
            for uuid, total, used, *_ in self.subs:
                purchase = [r for r in self.rows[v] if r["ChargeCategory"] == "Purchase"
                            and r["x_SubscriptionUuid"] == uuid]
                self.assertEqual(len(purchase), 1, f"{v}: one Purchase row for the commitment of {uuid}")
                self.assertEqual(micro(purchase[0]["BilledCost"]), total)
                self.assertEqual(micro(purchase[0]["EffectiveCost"]), 0)
                self.assertEqual(billed[uuid], total + max(0, used - total), f"{v} {uuid}")
                over_total += max(0, used - total)
            overage = [r for r in self.rows[v] if r["x_ChargeKind"] == "overage"]
            self.assertTrue(all(r["BilledCost"] == r["EffectiveCost"] for r in overage))
            self.assertTrue(all(r["PricingCategory"] == "Standard" for r in overage))
        self.assertGreater(over_total, 0, "the expired subscription should have run over its commitment")

    def test_drawn_rows_apply_to_their_commitment_and_closed_periods_show_what_was_unused(self):
        today = rows(self.db, "SELECT substr(MAX(finished_at), 1, 10) FROM sync_run WHERE status = 'ok'")[0][0]
        for v in self.distinct:
            for uuid, total, used, start, end, cur in self.subs:
                cid = f"{uuid}/{start[:10]}"
                mine = [r for r in self.rows[v] if r["x_SubscriptionUuid"] == uuid]
                unused = [r for r in mine if r["x_ChargeKind"] == "unused-commitment"]
                if end < today and used < total:
                    self.assertEqual([micro(r["EffectiveCost"]) for r in unused], [total - used], f"{v} {uuid}")
                else:
                    self.assertEqual(unused, [], f"{v} {uuid}")
                drawn = [r for r in mine if r["x_ChargeKind"] == "usage" and start[:10] <= r["ChargePeriodStart"][:10]
                         <= end[:10]]
                self.assertTrue(drawn)
                all_equal(self, (((r["BilledCost"], r["PricingCategory"]), ("0.000000", "Committed"), r)
                                 for r in drawn), f"{v} {uuid}: drawn rows are committed", self.row)
                if v == "1.2":
                    all_equal(self, (((r["CommitmentDiscountId"], r["CommitmentDiscountStatus"]), (cid, "Used"),
                                      r) for r in drawn), f"{v} {uuid}: drawn rows name the commitment", self.row)
                else:
                    # as in the ContractCommitment dataset: its id and the subscription as the contract
                    all_equal(self, ((self.applied(r), (cid, uuid, Decimal(r["EffectiveCost"])), r)
                                     for r in drawn), f"{v} {uuid}: ContractApplied of the drawn rows", self.row)

    @staticmethod
    def row(r):
        """A row named by its subscription, SKU price, charge period and quantity."""
        return (f"{r.get('x_SubscriptionUuid')} {r.get('SkuPriceId') or r.get('SkuId')} {r.get('ChargePeriodStart')}"
                f" quantity {r.get('PricingQuantity')}")

    @staticmethod
    def applied(r):
        """(ContractCommitmentId, ContractId, ContractCommitmentAppliedCost) of
        the one element of a row's ContractApplied."""
        (el,) = json.loads(r["ContractApplied"])["Elements"]
        return el["ContractCommitmentId"], el["ContractId"], Decimal(str(el["ContractCommitmentAppliedCost"]))

    def test_contract_commitment_rows_are_the_budgets_and_periods(self):
        self.assertNotIn("1.2", self.cc, "1.2 has no ContractCommitment dataset")
        for v in ("1.3", "1.4"):
            got = {r["x_SubscriptionUuid"]: r for r in self.cc[v]}
            self.assertEqual(set(got), {s[0] for s in self.subs})
            for uuid, total, used, start, end, cur in self.subs:
                r = got[uuid]
                self.assertEqual(micro(r["ContractCommitmentCost"]), total)
                self.assertEqual(r["BillingCurrency"], cur)
                self.assertEqual(r["ContractCommitmentCategory"], "Spend")
                self.assertEqual(r["ContractCommitmentId"], f"{uuid}/{start[:10]}")
                self.assertEqual(r["ContractCommitmentPeriodStart"], start[:10] + "T00:00:00Z")
                self.assertEqual(r["ContractCommitmentPeriodEnd"][:10],
                                 rows(self.db, "SELECT date(?, '+1 day')", end[:10])[0][0])
            with open(os.path.join(self.dir, f"f{v}.metadata.json"), encoding="utf-8") as f:
                meta = json.load(f)
            self.assertEqual(meta["FocusVersion"], v)
            self.assertEqual(meta["Datasets"][0]["DataThrough"],
                             rows(self.db, "SELECT MAX(day) FROM env_cost_day")[0][0])

    def test_contract_commitment_1_4_columns_say_what_the_subscription_says(self):
        """1.4's additions: lifecycle from the periods and the budget on the day
        of the last sync, created at the period's start, updated by that sync,
        the duration of the period, the subscription as the applicability
        boundary, the DPS commitment's fixed terms; none of it in 1.3."""
        synced = rows(self.db, "SELECT MAX(finished_at) FROM sync_run WHERE status = 'ok'")[0][0]
        today = synced[:10]
        account = rows(self.db, "SELECT DISTINCT account_uuid FROM subscription")
        self.assertEqual(len(account), 1)
        got = {r["x_SubscriptionUuid"]: r for r in self.cc["1.4"]}
        statuses = set()
        for uuid, total, used, start, end, cur in self.subs:
            r = got[uuid]
            want = ("Pending" if today < start[:10] else "Expired" if today > end[:10]
                    else "Exhausted" if used >= total else "Active")
            self.assertEqual(r["ContractCommitmentLifecycleStatus"], want, uuid)
            statuses.add(want)
            self.assertEqual(r["ContractCommitmentCreated"], start[:10] + "T00:00:00Z")
            self.assertEqual(r["ContractCommitmentLastUpdated"][:19], max(synced[:19], start[:10] + "T00:00:00"))
            days = rows(self.db, "SELECT julianday(date(?, '+1 day')) - julianday(?)", end[:10], start[:10])[0][0]
            year = rows(self.db, "SELECT date(?, '+1 year')", start[:10])[0][0]
            ends = rows(self.db, "SELECT date(?, '+1 day')", end[:10])[0][0]
            self.assertEqual(r["ContractCommitmentDurationType"], "1 Year" if ends == year else f"{int(days)} Days")
            applies = json.loads(r["ContractCommitmentApplicability"])
            self.assertEqual(applies["InclusionOperator"], "And")
            self.assertEqual({(i["Dimension"], tuple(i["Values"])) for i in applies["Inclusions"]},
                             {("BillingAccountId", (account[0][0],)), ("x_SubscriptionUuid", (uuid,))})
            # the cost rows that draw on the commitment carry the values the boundary names
            drawn = [x for x in self.rows["1.4"] if x["ContractApplied"] and uuid in x["ContractApplied"]]
            self.assertTrue(drawn)
            self.assertEqual({(x["BillingAccountId"], x["x_SubscriptionUuid"]) for x in drawn}, {(account[0][0], uuid)})
            self.assertEqual((r["ContractCommitmentBenefitCategory"], r["ContractCommitmentDiscountPercentage"]),
                             ("Entitlement", ""))
            self.assertEqual((r["ContractCommitmentModel"], r["ContractCommitmentFulfillmentInterval"]),
                             ("Discontinuous", "Total Term"))
            self.assertEqual((r["ContractCommitmentPaymentModel"], r["ContractCommitmentPaymentInterval"],
                              r["ContractCommitmentPaymentUpfrontPercentage"]), ("All Upfront", "One-Time", "1.0"))
            self.assertEqual((r["ContractCommitmentOfferCategory"], r["InvoiceIssuerName"], r["ServiceProviderName"]),
                             ("Negotiated", "Dynatrace", "Dynatrace"))
        self.assertIn("Expired", statuses, "the emulator's earlier subscription has ended")
        self.assertIn("Active", statuses)
        self.assertNotIn("ContractCommitmentLifecycleStatus", self.cc["1.3"][0])
        self.assertEqual(len(self.cc["1.3"][0]), 15, "1.3: its thirteen columns and ours")

    def test_prices_from_the_rate_cards_exactly_and_units_in_the_unit_format(self):
        seen, micro_unit = {}, Decimal("0.000001")

        def times(price, q):
            return (Decimal(price) * q).quantize(micro_unit, rounding=ROUND_HALF_UP)

        for v in self.distinct:
            priced = [(r, Decimal(r["PricingQuantity"])) for r in self.rows[v]
                      if r["ListUnitPrice"] and r["x_ChargeKind"] == "usage"]
            all_equal(self, (((Decimal(r["ListCost"]), Decimal(r["ContractedCost"])),
                              (times(r["ListUnitPrice"], q), times(r["ContractedUnitPrice"], q)),
                              r) for r, q in priced),
                      f"{v}: (ListCost, ContractedCost) are the prices times the quantity", self.row)
            units = [r for r in self.rows[v] if r["x_DynatraceUnit"]]
            seen.update((r["x_DynatraceUnit"], r["PricingUnit"]) for r in units)
            all_equal(self, ((r["PricingUnit"], r["ConsumedUnit"], r) for r in units),
                      f"{v}: PricingUnit is ConsumedUnit", self.row)
        for dyn, focus in UNITS.items():
            if dyn in seen:
                self.assertEqual(seen[dyn], focus)
        self.assertIn("GiB-hour", seen)
        rates = rows(self.db, "SELECT quote_number, capability_key, quoted_price FROM rate_card")
        quoted = {(q, c): p for q, c, p in rates}
        all_equal(self, ((r["ListUnitPrice"], quoted[tuple(r["SkuPriceId"].split("/")[:2])], r)
                         for r in self.rows["1.4"][:2000] if r["ListUnitPrice"]),
                  "ListUnitPrice is the quoted price", self.row)

    def test_names_are_never_blank_and_never_a_formula(self):
        for v in self.distinct:
            all_equal(self, ((r["BillingAccountName"], "'=Acme Corp", r) for r in self.rows[v]),
                      f"{v}: BillingAccountName", self.row)
            all_equal(self, ((r["SubAccountName"], r["SubAccountName"] or "a name", r) for r in self.rows[v]
                             if r["SubAccountId"]), f"{v}: SubAccountName is not blank", self.row)
        r = export(self.db, "--format", "focus", "--from", "2026-11-01")
        first = next(csv.DictReader(io.StringIO(r.stdout)))
        self.assertEqual(first["BillingAccountName"], f"Dynatrace account {first['BillingAccountId']}")

    def test_gz_is_the_same_file_compressed(self):
        path = os.path.join(self.dir, "f.csv.gz")
        r = export(self.db, "--format", "focus", "--focus-version", "1.3", "--out", path,
                   "--billing-account-name", "=Acme Corp")
        self.assertEqual(r.returncode, 0, r.stderr)
        for gz, plain in (("f.csv.gz", "f1.3.csv"), ("f.contract-commitment.csv.gz", "f1.3.contract-commitment.csv")):
            with gzip.open(os.path.join(self.dir, gz)) as f, open(os.path.join(self.dir, plain), "rb") as want:
                self.assertIsNone(first_difference(f.read(), want.read()), f"{gz} is not {plain} compressed")

    def test_config_sets_the_default_version_and_a_bad_one_is_refused(self):
        cfg = os.path.join(self.dir, "dtcost.ini")
        with open(cfg, "w") as f:
            f.write("[export]\nfocus_version = 1.2\nbilling_account_name = ACME\n")
        r = export(self.db, "--format", "focus", "--config", cfg, "--from", "2026-11-01")
        self.assertEqual(r.returncode, 0, r.stderr)
        header = r.stdout.splitlines()[0].split(",")
        self.assertIn("ProviderName", header)
        self.assertIn("CommitmentDiscountId", header)
        self.assertEqual(next(csv.DictReader(io.StringIO(r.stdout)))["BillingAccountName"], "ACME")
        with open(cfg, "w") as f:
            f.write("[export]\nfocus_version = 2.0\n")
        r = export(self.db, "--format", "focus", "--config", cfg)
        self.assertEqual(r.returncode, 78)
        self.assertIn("[export] focus_version", r.stderr)
        self.assertEqual(r.stdout, "")
        r = export(self.db, "--format", "focus", "--focus-version", "1.1")
        self.assertEqual(r.returncode, 2)
        self.assertIn("1.2, 1.3 or 1.4", r.stderr)

    def test_csv_and_jsonl_carry_the_same_rows(self):
        c = export(self.db, "--format", "csv", "--from", "2026-11-01", "--to", "2026-11-07")
        j = export(self.db, "--format", "jsonl", "--from", "2026-11-01", "--to", "2026-11-07")
        self.assertEqual((c.returncode, j.returncode), (0, 0))
        crow = list(csv.DictReader(io.StringIO(c.stdout)))
        jrow = [json.loads(l) for l in j.stdout.splitlines()]
        want = rows(self.db, "SELECT COUNT(*), SUM(cost_micro) FROM env_cost_day "
                             "WHERE day BETWEEN '2026-11-01' AND '2026-11-07'")[0]
        self.assertEqual(len(crow), want[0])
        self.assertEqual(len(jrow), want[0])
        self.assertEqual(sum(micro(r["cost"]) for r in crow), want[1])
        self.assertEqual(sum(micro(str(r["cost"])) for r in jrow), want[1])
        self.assertEqual({r["day"] for r in jrow}, {f"2026-11-0{d}" for d in range(1, 8)})
        names = {r["environment_name"] for r in jrow}
        self.assertIn("ステージング環境", names)

    def test_out_is_all_or_nothing(self):
        path = os.path.join(self.dir, "focus.csv")
        r = export(self.db, "--format", "focus", "--focus-version", "1.4", "--out", path,
                   "--billing-account-name", "=Acme Corp")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(path, "rb") as f, open(os.path.join(self.dir, "f1.4.csv"), "rb") as want:
            self.assertIsNone(first_difference(f.read(), want.read()), "the same export, another --out")
        self.assertEqual([n for n in os.listdir(self.dir) if ".tmp." in n], [])
        bad = os.path.join(self.dir, "no-such-dir", "x.csv")
        r = export(self.db, "--format", "focus", "--out", bad)
        self.assertEqual(r.returncode, 74)
        self.assertFalse(os.path.exists(os.path.dirname(bad)))
        r = export(self.db, "--format", "xml")
        self.assertEqual(r.returncode, 2)


class ExportCorrections(unittest.TestCase):
    def test_late_bookings_after_the_month_closed_become_correction_rows(self):
        db = os.path.join(tmpdir(), "late.db")
        # Early in a month: the last days of the previous month still get booked.
        with Emulator("--days", "40", "--environments", "2", now="2026-11-01T03:00:00Z") as emu:
            self.assertEqual(run_sync(emu, db).returncode, 0)
            emu.advance(booking_runs=10)
            self.assertEqual(run_sync(emu, db).returncode, 0)
        revs = rows(db, "SELECT key, old_value, new_value, seen_at FROM revision WHERE fact='env_cost_day'")
        closed = [r for r in revs if r[3][:7] > r[0].split("|")[3][:7]]
        if not closed:
            self.skipTest("no revision seen after its month closed (the real clock is in the same month)")
        read = {}  # a version's file that is another's bytes is read once
        for v in VERSIONS:
            r = export(db, "--format", "focus", "--focus-version", v)
            self.assertEqual(r.returncode, 0, r.stderr)
            if r.stdout not in read:
                read[r.stdout] = focusrules.records(io.StringIO(r.stdout))
            out = read[r.stdout]
            corr = [x for x in out if x["ChargeClass"] == "Correction"]
            self.assertEqual(len(corr), len([c for c in closed if int(c[2]) != int(c[1])]), v)
            for x in corr:
                self.assertGreater(x["BillingPeriodStart"][:7], x["ChargePeriodStart"][:7])
                self.assertEqual((x["PricingQuantity"], x["PricingCategory"], x["SkuPriceId"]), ("", "", ""))
            total = sum(micro(x["EffectiveCost"]) for x in out if x["x_ChargeKind"] in ("usage", "overage",
                                                                                       "correction"))
            self.assertEqual(total, rows(db, "SELECT SUM(cost_micro) FROM env_cost_day")[0][0], v)


if __name__ == "__main__":
    unittest.main()
