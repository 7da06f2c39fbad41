"""`dtcost export --format focus` meets every MUST rule of the FinOps
Foundation's FOCUS requirements model that applies to a SaaS provider, for
FOCUS 1.2, 1.3 and 1.4, on the cost-and-usage file and (1.3, 1.4) the
ContractCommitment file beside it; and the same checks fail on files
mutated the ways a broken exporter would break them.

Rules: tests/data/focus/requirements.json, our transcription of the model in
https://github.com/FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec
(specification/requirements_model/model_rules/..., the file and commit of
each rule are listed in its Provenance); tests/scenario/lib/focusrules.py
interprets the model's CheckFunction vocabulary."""
import csv
import io
import os
import subprocess
import unittest

import focusrules
from emu import DTCOST

VERSIONS = ("1.2", "1.3", "1.4")


def export(db, *args):
    return subprocess.run([DTCOST, "export", "--db", db, "--format", "focus", *args], capture_output=True,
                          text=True, timeout=120)


class FocusConformance(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # The demo's database: a year of three subscriptions, one of them
        # expired with part of its commitment unused; cost centres and
        # products allocated in its last month. Its export, made once for
        # the test files that read it.
        cls.dir = focusrules.demo_export()
        cls.db = os.path.join(cls.dir, "demo.db")
        cls.files, cls.parsed, cls.samples = {}, {}, {}
        cls.memos = {}  # focusrules.check_rows' memo per parsed file (kept alive in cls.parsed)
        for v in VERSIONS:
            with open(os.path.join(cls.dir, f"focus-{v}.csv"), encoding="utf-8") as f:
                cls.files[v] = f.read()
            cc = os.path.join(cls.dir, f"focus-{v}.contract-commitment.csv")
            if os.path.exists(cc):
                with open(cc, encoding="utf-8") as f:
                    cls.files[v + "/cc"] = f.read()

    def test_every_applicable_rule_holds_for_each_version(self):
        for v in VERSIONS:
            for dataset, key in (("CostAndUsage", v), ("ContractCommitment", v + "/cc")):
                todo, skipped = focusrules.rules(v, dataset)
                if not todo:
                    self.assertNotIn(key, self.files, f"{v} has no {dataset} dataset")
                    continue
                print(f"\nFOCUS {v} {dataset}: {len(todo)} rules checked")
                for r in todo:
                    print(f"  CHECK {r['ModelRuleId']} [{r['Keyword']}] {r['MustSatisfy']}")
                self.assertIn(key, self.files, f"FOCUS {v} needs its {dataset} file")
                header, rows = self.read(key)
                bad = focusrules.check_rows(header, rows, v, dataset, memo=self.memos.setdefault(id(rows), {}))
                self.assertEqual(bad, [], f"FOCUS {v} {dataset}")
            for s in skipped:
                print(f"  SKIP  {s['ModelRuleId']}: {s['Reason']}")

    def test_versions_have_their_own_columns(self):
        h = {v: self.files[v].splitlines()[0].split(",") for v in VERSIONS}
        self.assertIn("ProviderName", h["1.2"])
        self.assertNotIn("ServiceProviderName", h["1.2"])
        self.assertNotIn("ContractApplied", h["1.2"])
        self.assertIn("CommitmentDiscountId", h["1.2"])
        self.assertIn("ServiceProviderName", h["1.3"])
        self.assertIn("ProviderName", h["1.3"])
        self.assertIn("ContractApplied", h["1.3"])
        # deprecated, yet the 1.4 model's presence composite still asks for them (docs/focus.md)
        self.assertIn("ProviderName", h["1.4"])
        self.assertIn("PublisherName", h["1.4"])
        self.assertIn("ContractApplied", h["1.4"])
        self.assertNotIn("x_CapabilityKey", h["1.4"], "SkuId already carries the capability key")
        r = export(self.db)  # the default is the newest
        self.assertEqual(r.stdout.splitlines()[0].split(","), h["1.4"])
        # the ContractCommitment file: exactly the columns the version's presence rules name, then ours; and
        # in 1.4 the conditional upfront percentage (D-029-C, skipped: no Partial Upfront), written as 1.0
        for v in ("1.3", "1.4"):
            todo, _ = focusrules.rules(v, "ContractCommitment")
            want = {r["Requirement"]["ColumnName"] for r in todo if r["Requirement"]["CheckFunction"] == "ColumnPresent"}
            want |= {"ContractCommitmentPaymentUpfrontPercentage"} if v == "1.4" else set()
            cc = focusrules.read(self.files[v + "/cc"])[0]
            self.assertEqual({c for c in cc if not c.startswith("x_")}, want, f"FOCUS {v} ContractCommitment columns")
        self.assertNotIn("ContractCommitmentLifecycleStatus", focusrules.read(self.files["1.3/cc"])[0])

    def read(self, key):
        """focusrules.read() of a file, parsed once: read it, change nothing."""
        if key not in self.parsed:  # 1.3's and 1.4's cost-and-usage files are the same bytes: parsed once
            same = [k for k in self.parsed if self.files[k] == self.files[key]]
            self.parsed[key] = self.parsed[same[0]] if same else focusrules.read(self.files[key])
        return self.parsed[key]

    def mutated(self, v, edit):
        """The version's file cut to a sample (the first rows and every
        commitment row, which passes the rules as it is), written and read
        back once, then a copy of it edited."""
        if v not in self.samples:
            header, rows = self.read(v)
            split = [r for r in rows[400:] if r.get("AllocatedMethodId") or r.get("Tags")][:40]
            rows = rows[:400] + [r for r in rows[400:] if r["x_ChargeKind"] != "usage"] + split
            self.assertEqual(focusrules.check_rows(header, rows, v), [])
            self.samples[v] = focusrules.read(self.write(header, rows))
        header, rows = self.samples[v]
        header, rows = edit(list(header), [dict(r) for r in rows])
        return self.write(header, rows)

    @staticmethod
    def write(header, rows):
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow(["" if row.get(h) is None else row[h] for h in header])
        return out.getvalue()

    def assertFails(self, v, edit, rule):
        bad = focusrules.check(self.mutated(v, edit), v)
        self.assertIn(rule, {b[0] for b in bad}, f"FOCUS {v}: the mutation should break {rule}; found {bad[:5]}")

    def test_mutated_files_fail(self):
        def drop(col):
            return lambda h, rows: ([c for c in h if c != col], rows)

        def set_first(col, value, where=lambda row: True):
            def edit(h, rows):
                for row in rows:
                    if where(row):
                        row[col] = value
                        break
                return h, rows
            return edit

        usage = lambda row: row["ChargeCategory"] == "Usage" and row["PricingUnit"]
        self.assertTrue(any(r["x_ChargeKind"] == "unused-commitment" for r in self.read("1.4")[1]),
                        "the demo's expired subscription should leave part of its commitment unused")
        for v in VERSIONS:
            self.assertFails(v, drop("BilledCost"), "CAU-CostAndUsage-D-006-M")
            self.assertFails(v, drop("EffectiveCost"), "CAU-EffectiveCost-C-000-M")
            self.assertFails(v, set_first("EffectiveCost", None), "CAU-EffectiveCost-C-003-M")
            self.assertFails(v, set_first("BillingCurrency", None), "CAU-BillingCurrency-C-004-M")
            self.assertFails(v, set_first("ChargeCategory", "Consumption"), "CAU-ChargeCategory-C-003-M")
            self.assertFails(v, set_first("ChargePeriodStart", "2026-01-01 00:00:00"), "CAU-ChargePeriodStart-C-002-M")
            self.assertFails(v, set_first("BillingPeriodEnd", "2026-02-01"), "CAU-BillingPeriodEnd-C-001-M")
            self.assertFails(v, set_first("PricingUnit", "GiB-hour", usage), "CAU-PricingUnit-C-003-O")
            self.assertFails(v, set_first("PricingUnit", "1,000 spans", usage), "CAU-PricingUnit-C-003-O")
            self.assertFails(v, set_first("ListCost", "1e-05"), "CAU-ListCost-C-002-M")
            self.assertFails(v, set_first("ChargeFrequency", "Usage-Based", lambda r: r["ChargeCategory"] == "Purchase"),
                             "CAU-ChargeFrequency-C-004-C")
        self.assertFails("1.2", set_first("ListCost", "999.000000", lambda r: r["ListUnitPrice"] and r["PricingQuantity"]),
                         "CAU-ListCost-C-009-C")
        self.assertFails("1.4", set_first("ContractApplied", "not json", lambda r: r["ContractApplied"]),
                         "CAU-ContractApplied-C-001-M")
        self.assertFails("1.2", drop("Tags"), "CAU-Tags-C-000-C")
        self.assertFails("1.2", set_first("Tags", "dynatrace/costcenter=CC-1", lambda r: r["Tags"]), "CAU-Tags-C-001-M")
        self.assertFails("1.2", set_first("Tags", '["dynatrace/costcenter"]', lambda r: r["Tags"]),
                         "CAU-Tags-C-001-M")
        for v in ("1.3", "1.4"):
            allocated = lambda r: r["AllocatedResourceId"]
            self.assertFails(v, drop("AllocatedTags"), "CAU-AllocatedTags-C-000-C")
            self.assertFails(v, set_first("AllocatedMethodId", "dynatrace\tcost", allocated),
                             "CAU-AllocatedMethodId-C-002-M")
            self.assertFails(v, drop("AllocatedMethodId"), "CAU-AllocatedMethodID-C-000-C")
            self.assertFails(v, set_first("AllocatedTags", "[1]", allocated), "CAU-AllocatedTags-C-001-M")
            self.assertFails(v, set_first("AllocatedMethodDetails", "{ratio", allocated),
                             "CAU-AllocatedMethodDetails-C-003-M")
            self.assertFails(v, set_first("AllocatedResourceName", None, allocated), "CAU-AllocatedResourceName-C-005-C")
            self.assertFails(v, set_first("AllocatedResourceId", " CC-1 ", allocated), "CAU-AllocatedResourceId-C-002-M")
        # ContractApplied as a flat object, without the Elements array 1.3 and 1.4 require
        flat = '{"ContractCommitmentId":"c","ContractCommitmentAppliedCost":1,' \
               '"ContractCommitmentAppliedQuantity":null,"ContractCommitmentAppliedUnit":null}'
        self.assertFails("1.3", set_first("ContractApplied", flat, lambda r: r["ContractApplied"]),
                         "CAU-ContractAppliedObject-O-001-M")
        self.assertFails("1.4", set_first("ContractApplied", flat, lambda r: r["ContractApplied"]),
                         "CAU-ContractAppliedObject-O-067-M")
        no_contract = '{"Elements":[{"ContractCommitmentId":"c","ContractCommitmentAppliedCost":1,' \
                      '"ContractCommitmentAppliedQuantity":null,"ContractCommitmentAppliedUnit":null}]}'
        self.assertFails("1.3", set_first("ContractApplied", no_contract, lambda r: r["ContractApplied"]),
                         "CAU-ContractAppliedObject-O-007-M")
        self.assertFails("1.4", set_first("ContractApplied", no_contract, lambda r: r["ContractApplied"]),
                         "CAU-ContractAppliedObject-O-067-M")

        def unprefixed(h, rows):  # a custom column without x_ (1.4's CustomColumnHandling)
            for row in rows:
                row["ClusterId"] = row.pop("x_ClusterId")
            return [("ClusterId" if c == "x_ClusterId" else c) for c in h], rows
        self.assertFails("1.4", unprefixed, "ATT-CustomColumnHandling-A-002-M")

        # 1.4 keeps the deprecated provider columns' presence rules (MUST, Status Deprecated)
        self.assertFails("1.4", drop("ProviderName"), "CAU-CostAndUsage-D-038-M")
        self.assertFails("1.4", drop("PublisherName"), "CAU-CostAndUsage-D-021-M")

    def assertCommitmentFails(self, v, edit, rule):
        """The version's ContractCommitment file, edited, breaks the rule."""
        header, rows = focusrules.read(self.files[v + "/cc"])
        self.assertEqual(focusrules.check_rows(header, rows, v, "ContractCommitment"), [])
        header, rows = edit(header, rows)
        bad = focusrules.check(self.write(header, rows), v, "ContractCommitment")
        self.assertIn(rule, {b[0] for b in bad}, f"FOCUS {v} ContractCommitment: the mutation should break {rule}; "
                                                 f"found {bad[:5]}")

    def test_mutated_contract_commitment_files_fail(self):
        def drop(col):
            return lambda h, rows: ([c for c in h if c != col], rows)

        def set_first(**cols):
            def edit(h, rows):
                rows[0].update(cols)
                return h, rows
            return edit

        for v in ("1.3", "1.4"):
            self.assertCommitmentFails(v, drop("BillingCurrency"), "CCT-ContractCommitment-D-003-M")
            self.assertCommitmentFails(v, drop("ContractId"), "CCT-ContractCommitment-D-013-M")
            self.assertCommitmentFails(v, set_first(ContractCommitmentCost=None), "CCT-ContractCommitmentCost-C-004-C")
            self.assertCommitmentFails(v, set_first(ContractCommitmentCost="1e6"), "CCT-ContractCommitmentCost-C-002-M")
            self.assertCommitmentFails(v, set_first(BillingCurrency="usd"), "CCT-BillingCurrency-C-003-M")
            self.assertCommitmentFails(v, set_first(BillingCurrency="XAU"), "CCT-BillingCurrency-C-006-M")
            self.assertCommitmentFails(v, set_first(ContractCommitmentId=None), "CCT-ContractCommitmentId-C-003-M")
            self.assertCommitmentFails(v, set_first(ContractCommitmentUnit="Dollars"), "CCT-ContractCommitmentUnit-C-005-C")
            self.assertCommitmentFails(v, set_first(ContractCommitmentQuantity="5"), "CCT-ContractCommitmentUnit-C-006-C")
            self.assertCommitmentFails(v, set_first(ContractCommitmentType=" Dynatrace"), "CCT-ContractCommitmentType-C-002-M")
            self.assertCommitmentFails(v, set_first(ContractPeriodStart="2026-03-01"), "CCT-ContractPeriodStart-C-002-M")

            def two_contracts(h, rows):  # one commitment id under two contracts
                rows[1]["ContractCommitmentId"] = rows[0]["ContractCommitmentId"]
                return h, rows
            self.assertCommitmentFails(v, two_contracts, "CCT-ContractCommitmentId-C-007-M")
        # 1.4's additions
        for col, rule in [("ContractCommitmentApplicability", "CCT-ContractCommitment-D-017-M"),
                          ("ContractCommitmentBenefitCategory", "CCT-ContractCommitment-D-018-M"),
                          ("ContractCommitmentLifecycleStatus", "CCT-ContractCommitment-D-024-M"),
                          ("ContractCommitmentPaymentModel", "CCT-ContractCommitment-D-028-M"),
                          ("ContractCommitmentLastUpdated", "CCT-ContractCommitment-D-023-M"),
                          ("InvoiceIssuerName", "CCT-ContractCommitment-D-030-M"),
                          ("ServiceProviderName", "CCT-ContractCommitment-D-033-M")]:
            self.assertCommitmentFails("1.4", drop(col), rule)
        bad = [
            (dict(ContractCommitmentBenefitCategory="Savings"), "CCT-ContractCommitmentBenefitCategory-C-003-M"),
            (dict(ContractCommitmentBenefitCategory=None), "CCT-ContractCommitmentBenefitCategory-C-002-M"),
            (dict(ContractCommitmentLifecycleStatus="Ended"), "CCT-ContractCommitmentLifecycleStatus-C-003-M"),
            (dict(ContractCommitmentLifecycleStatus=None), "CCT-ContractCommitmentLifecycleStatus-C-002-M"),
            (dict(ContractCommitmentModel="Flexible"), "CCT-ContractCommitmentModel-C-003-M"),
            (dict(ContractCommitmentModel="Continuous"), "CCT-ContractCommitmentModel-C-004-C"),
            (dict(ContractCommitmentModel="Continuous"), "CCT-ContractCommitmentFulfillmentInterval-C-004-C"),
            (dict(ContractCommitmentFulfillmentInterval="Yearly"), "CCT-ContractCommitmentFulfillmentInterval-C-003-M"),
            (dict(ContractCommitmentOfferCategory="Private"), "CCT-ContractCommitmentOfferCategory-C-003-M"),
            (dict(ContractCommitmentPaymentModel="Upfront"), "CCT-ContractCommitmentPaymentModel-C-003-M"),
            (dict(ContractCommitmentPaymentInterval="Annual"), "CCT-ContractCommitmentPaymentInterval-C-004-C"),
            (dict(ContractCommitmentPaymentInterval="Yearly"), "CCT-ContractCommitmentPaymentInterval-C-003-M"),
            (dict(ContractCommitmentPaymentUpfrontPercentage="0.5"), "CCT-ContractCommitmentPaymentUpfrontPercentage-C-005-C"),
            (dict(ContractCommitmentPaymentUpfrontPercentage="1.5"), "CCT-ContractCommitmentPaymentUpfrontPercentage-C-004-M"),
            (dict(ContractCommitmentPaymentUpfrontPercentage=None), "CCT-ContractCommitmentPaymentUpfrontPercentage-C-003-M"),
            (dict(ContractCommitmentPaymentModel="No Upfront", ContractCommitmentPaymentInterval="Annual"),
             "CCT-ContractCommitmentPaymentUpfrontPercentage-C-006-C"),
            (dict(ContractCommitmentBenefitCategory="Discount"), "CCT-ContractCommitmentDiscountPercentage-C-004-C"),
            (dict(ContractCommitmentDiscountPercentage="-0.1"), "CCT-ContractCommitmentDiscountPercentage-C-006-M"),
            (dict(ContractCommitmentDiscountPercentage="0.1", ContractCommitmentBenefitCategory="Availability"),
             "CCT-ContractCommitmentDiscountPercentage-C-005-C"),
            (dict(ContractCommitmentDurationType=None), "CCT-ContractCommitmentDurationType-C-003-M"),
            (dict(ContractCommitmentCreated="2026-03-01"), "CCT-ContractCommitmentCreated-C-002-M"),
            (dict(ContractCommitmentCreated=None), "CCT-ContractCommitmentCreated-C-003-M"),
            (dict(ContractCommitmentLastUpdated="2000-01-01T00:00:00Z"), "CCT-ContractCommitmentLastUpdated-text-5"),
            (dict(ContractCommitmentLastUpdated=None), "CCT-ContractCommitmentLastUpdated-text-3"),
            (dict(InvoiceIssuerName=None), "CCT-InvoiceIssuerName-C-003-M"),
            (dict(ServiceProviderName=None), "CCT-ServiceProviderName-C-003-M"),
            (dict(ContractCommitmentApplicability=None), "CCT-ContractCommitmentApplicability-C-005-M"),
            (dict(ContractCommitmentApplicability="all of it"), "CCT-ContractCommitmentApplicability-C-003-M"),
            # a scalar fraction, which the column text says engines should not accept
            (dict(ContractCommitmentApplicability="1.0"), "CCT-ContractCommitmentApplicabilityObject-O-002-M"),
            # no boundary: neither global nor complex scope, yet no Inclusions
            (dict(ContractCommitmentApplicability='{"IsGlobalScope":false}'),
             "CCT-ContractCommitmentApplicabilityObject-O-002-M"),
            (dict(ContractCommitmentApplicability='{"IsGlobalScope":true,"IsComplexScope":true}'),
             "CCT-ContractCommitmentApplicabilityObject-O-002-M"),
            (dict(ContractCommitmentApplicability='{"IsGlobalScope":true,"Applicability":{"Cost":1.5}}'),
             "CCT-ContractCommitmentApplicabilityObject-O-002-M"),
            (dict(ContractCommitmentApplicability='{"InclusionOperator":"And","Inclusions":[{"Dimension":"SkuId",'
                                                  '"Operator":"Equals","Values":["*"]}]}'),
             "CCT-ContractCommitmentApplicabilityObject-O-002-M"),
            (dict(ContractCommitmentApplicability='{"InclusionOperator":"Or","Inclusions":[{"Dimension":"SkuId",'
                                                  '"Operator":"In","Values":["*","x"]}]}'),
             "CCT-ContractCommitmentApplicabilityObject-O-002-M"),
        ]
        for cols, rule in bad:
            self.assertCommitmentFails("1.4", set_first(**cols), rule)

        def unprefixed(h, rows):  # a custom column without x_
            for row in rows:
                row["BudgetUsed"] = row.pop("x_BudgetUsed")
            return [("BudgetUsed" if c == "x_BudgetUsed" else c) for c in h], rows
        self.assertCommitmentFails("1.4", unprefixed, "CCT-ContractCommitment-D-040-M")


if __name__ == "__main__":
    unittest.main()
