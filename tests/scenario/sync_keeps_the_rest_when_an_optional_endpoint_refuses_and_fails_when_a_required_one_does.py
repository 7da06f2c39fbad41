"""Cost allocation, environment names, forecast, rate cards, cost events and
the cost-centre and product lists are not documented for every account
kind: a live account may refuse any of them (400, 401, 403, 404, 410). Such
a refusal costs that read, with one warning naming it, and `dtcost sync`
exits 0 with every other fact exactly as a sync that was not refused. A
refusal of what a sync cannot do without (per-environment cost) still fails
the run. Cost allocation pages over a limit the server enforces are asked
again at 50 a page, with the same rows; and allocation days are exactly the
ones asked for, whether the server reads `to` as inclusive or not."""
import os
import unittest

from dtsync import FACT_TABLES, dump, rows, run_sync
from emu import ACCOUNT, Emulator, tmpdir

FLAGS = ("--days", "45", "--environments", "3", "--capabilities", "5")

# --refuse PATH-END=STATUS, the table left empty, the words of the warning
OPTIONAL = [
    ("/cost-allocation=400", "cost_allocation", "cost allocation of subscription"),
    ("/cost-allocation=401", "cost_allocation", "cost allocation of subscription"),
    ("/cost-allocation=410", "cost_allocation", "cost allocation of subscription"),
    ("/accounts/{acct}/environments=400", "environment", "environment names not synced"),
    ("/subscriptions/forecast=410", "forecast", "forecast not synced"),
    ("/rate-cards=400", "rate_card", "rate cards not synced"),
    ("/subscriptions/events=400", "cost_event", "cost events not synced"),
    ("/settings/costcenters=410", None, "costcenters not synced"),
]


class OptionalEndpoints(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = tmpdir()
        cls.ref = os.path.join(cls.d, "ref.db")
        with Emulator(*FLAGS) as emu:
            res = run_sync(emu, cls.ref)
        assert res.returncode == 0, res.stderr
        assert rows(cls.ref, "SELECT COUNT(*) FROM cost_allocation")[0][0] > 0

    def test_a_refused_optional_read_is_a_warning_and_the_rest_is_exact(self):
        for spec, table, words in OPTIONAL:
            spec = spec.format(acct=ACCOUNT)
            with self.subTest(spec):
                db = os.path.join(self.d, spec.replace("/", "_") + ".db")
                with Emulator(*FLAGS, "--refuse", spec) as emu:
                    res = run_sync(emu, db)
                    refused = [l for l in emu.log_lines() if l["path"].endswith(spec.split("=")[0])]
                self.assertEqual(res.returncode, 0, res.stderr)
                self.assertTrue(refused and all(l["status"] == int(spec.split("=")[1]) for l in refused))
                warned = [l for l in res.stderr.splitlines() if words in l]
                self.assertTrue(warned, res.stderr)
                self.assertIn("Refused by the emulator", warned[0])
                others = [t for t in FACT_TABLES if t != table]
                self.assertEqual(dump(db, others), dump(self.ref, others))
                if table:
                    self.assertEqual(rows(db, f"SELECT COUNT(*) FROM {table}")[0][0], 0)
                else:
                    self.assertEqual(rows(db, "SELECT COUNT(*) FROM cost_allocation_value"
                                              " WHERE field = 'COSTCENTER'")[0][0], 0)
                    self.assertGreater(rows(db, "SELECT COUNT(*) FROM cost_allocation_value"
                                                " WHERE field = 'PRODUCT'")[0][0], 0)

    def test_a_refused_required_read_fails_the_run(self):
        db = os.path.join(self.d, "required.db")
        with Emulator(*FLAGS, "--refuse", "/environments/cost=400") as emu:
            res = run_sync(emu, db)
        self.assertNotEqual(res.returncode, 0, res.stderr)
        self.assertIn("Refused by the emulator", res.stderr)
        self.assertEqual(len(res.stderr.strip().splitlines()), 1, res.stderr)

    def test_allocation_pages_over_the_server_limit_are_asked_again_at_50(self):
        db = os.path.join(self.d, "limit.db")
        with Emulator(*FLAGS, "--alloc-page-size-limit", "50") as emu:
            res = run_sync(emu, db)
            sizes = [l["query"].split("page-size=")[1].split("&")[0] + ":" + str(l["status"])
                     for l in emu.log_lines() if l["path"].endswith("/cost-allocation")
                     and "page-size=" in l["query"]]
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertNotIn("HTTP 400", res.stderr)
        # The configured 1000 is refused once per API handle (one per worker
        # thread, walks overlap); every walk after that asks for 50.
        big = [s for s in sizes if s.startswith("1000:")]
        self.assertTrue(big and all(s in ("1000:400", "1000:429") for s in big), sizes)
        self.assertIn("1000:400", big)
        self.assertLessEqual(len(big), 8, sizes)
        # (404: the emulator's subscription without cost allocation; 429: its
        # rate limit, retried)
        self.assertTrue(all(s in ("50:200", "50:404", "50:429") for s in sizes if not s.startswith("1000:")),
                        sizes)
        self.assertGreater(len(sizes) - len(big), 2 * len(big))
        self.assertEqual(dump(db), dump(self.ref))

    def test_allocation_is_the_same_whether_to_is_inclusive_or_exclusive(self):
        db = os.path.join(self.d, "exclusive.db")
        with Emulator(*FLAGS, "--alloc-to-exclusive") as emu:
            res = run_sync(emu, db)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(dump(db), dump(self.ref))


if __name__ == "__main__":
    unittest.main()
