"""`dtcost export --format focus` on a few days of an account: the config's
[export] section sets the default FOCUS version and the billing account's
name (a command-line flag wins); a version dtcost does not write is refused
before anything is written, from the config with exit 78 naming the key,
from the command line with exit 2 naming the versions it takes; an --out in
a folder that does not exist is exit 74 naming the path, and nothing is
created. The commitment drawn before the first synced day is the drawdown's
start, so the ContractApplied costs of a period never exceed its budget."""
import csv
import io
import os
import sqlite3
import subprocess
import unittest
from decimal import Decimal

from dtsync import rows, run_sync
from emu import DTCOST, Emulator, tmpdir


def export(db, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DT_", "DTCOST_"))}
    env["XDG_CONFIG_HOME"] = os.path.join(os.environ.get("DTCOST_TEST_TMP", "/tmp"), "no-xdg-config")
    return subprocess.run([DTCOST, "export", "--db", db, *args], capture_output=True, text=True, timeout=60,
                          env=env)


def micro(s):
    return int(Decimal(s) * 1000000)


class ExportConfig(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        cls.db = os.path.join(cls.dir, "few.db")
        with Emulator("--days", "10", "--environments", "2") as emu:
            r = run_sync(emu, cls.db)
            assert r.returncode == 0, r.stderr

    def config(self, text):
        path = os.path.join(self.dir, "dtcost.ini")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_the_export_section_sets_version_and_account_name(self):
        cfg = self.config("[export]\nfocus_version = 1.2\nbilling_account_name = ACME\n")
        r = export(self.db, "--format", "focus", "--config", cfg)
        self.assertEqual(r.returncode, 0, r.stderr)
        got = list(csv.DictReader(io.StringIO(r.stdout)))
        self.assertTrue(got)
        self.assertIn("CommitmentDiscountId", got[0], "1.2's column")
        self.assertNotIn("ContractApplied", got[0], "1.3's column")
        self.assertEqual({x["BillingAccountName"] for x in got}, {"ACME"})
        # the flags win over the config
        r = export(self.db, "--format", "focus", "--config", cfg, "--focus-version", "1.4",
                   "--billing-account-name", "Other")
        self.assertEqual(r.returncode, 0, r.stderr)
        got = list(csv.DictReader(io.StringIO(r.stdout)))
        self.assertIn("ContractApplied", got[0])
        self.assertEqual({x["BillingAccountName"] for x in got}, {"Other"})

    def test_a_bad_version_is_refused_before_anything_is_written(self):
        out = os.path.join(self.dir, "never.csv")
        cfg = self.config("[export]\nfocus_version = 2.0\n")
        r = export(self.db, "--format", "focus", "--config", cfg, "--out", out)
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("[export] focus_version", r.stderr)
        self.assertIn("1.2, 1.3 or 1.4", r.stderr)
        self.assertEqual(r.stdout, "")
        r = export(self.db, "--format", "focus", "--focus-version", "1.1", "--out", out)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("--focus-version takes 1.2, 1.3 or 1.4, not '1.1'", r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertFalse(os.path.exists(out))

    def test_out_in_a_missing_folder_is_exit_74_and_creates_nothing(self):
        bad = os.path.join(self.dir, "no-such-dir", "x.csv")
        r = export(self.db, "--format", "focus", "--out", bad)
        self.assertEqual(r.returncode, 74, r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn(os.path.dirname(bad), r.stderr)
        self.assertIn("check the directory exists", r.stderr)
        self.assertFalse(os.path.exists(os.path.dirname(bad)))

    def test_the_drawdown_starts_at_what_was_used_before_the_synced_days(self):
        # The budget says more was used than the synced days hold (an account
        # older than the days synced): the commitment runs out within them.
        db = os.path.join(self.dir, "drawn.db")
        with sqlite3.connect(self.db) as src, sqlite3.connect(db) as dst:
            src.backup(dst)
        uuid, total, synced = rows(db, "SELECT s.uuid, s.budget_total_micro, SUM(e.cost_micro) FROM subscription s"
                                       " JOIN env_cost_day e ON e.subscription_uuid = s.uuid"
                                       " AND e.day BETWEEN s.period_start AND s.period_end"
                                       " GROUP BY s.uuid ORDER BY SUM(e.cost_micro) DESC LIMIT 1")[0]
        over = synced // 2
        with sqlite3.connect(db) as con:
            con.execute("UPDATE subscription SET budget_used_micro = ? WHERE uuid = ?", (total + over, uuid))
        r = export(db, "--format", "focus", "--focus-version", "1.4")
        self.assertEqual(r.returncode, 0, r.stderr)
        mine = [x for x in csv.DictReader(io.StringIO(r.stdout)) if x["x_SubscriptionUuid"] == uuid]
        billed = sum(micro(x["BilledCost"]) for x in mine)
        overage = sum(micro(x["EffectiveCost"]) for x in mine if x["x_ChargeKind"] == "overage")
        self.assertEqual(billed, total + over, "the commitment plus what the synced days drew beyond it")
        self.assertEqual(overage, over)
        self.assertTrue(any(x["x_ChargeKind"] == "usage" and x["PricingCategory"] == "Committed" for x in mine),
                        "the first synced days still draw on the commitment")


if __name__ == "__main__":
    unittest.main()
