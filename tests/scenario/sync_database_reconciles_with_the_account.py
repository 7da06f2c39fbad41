"""After a full `dtcost sync`, the database reconciles with Dynatrace: per
subscription and day the per-environment costs add up to the daily cost; the
budget's `used` equals the cost booked in the current period; every
environment (with its name, or none) and every capability is present; the
money is exact to the micro-unit; and the client secret is nowhere in it."""
import os
import unittest

from dtsync import rows, run_sync
from emu import ACCOUNT, CLIENT_SECRET, Emulator, micro, tmpdir


class SyncReconciles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator("--days", "120")
        cls.db = os.path.join(tmpdir(), "dtcost.db")
        cls.res = run_sync(cls.emu, cls.db, "--json")
        assert cls.res.returncode == 0, cls.res.stderr

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def test_environment_costs_add_up_to_the_daily_cost(self):
        bad = rows(self.db, """
            SELECT c.subscription_uuid, c.day, c.cost_micro, SUM(e.cost_micro)
            FROM cost_day c LEFT JOIN env_cost_day e
              ON e.subscription_uuid = c.subscription_uuid AND e.day = c.day
            GROUP BY c.subscription_uuid, c.day
            HAVING SUM(e.cost_micro) IS NOT c.cost_micro""")
        self.assertEqual(bad, [])
        self.assertGreater(rows(self.db, "SELECT COUNT(*) FROM cost_day")[0][0], 200)

    def test_budget_used_is_the_cost_of_the_current_period(self):
        subs = rows(self.db, """
            SELECT s.uuid, s.budget_used_micro,
                   (SELECT SUM(cost_micro) FROM cost_day c WHERE c.subscription_uuid = s.uuid
                    AND c.day BETWEEN s.period_start AND s.period_end)
            FROM subscription s""")
        self.assertEqual(len(subs), 3)
        for uuid, used, summed in subs:
            self.assertEqual(used, summed or 0, uuid)

    def test_daily_cost_matches_the_api_to_the_micro_unit(self):
        tok = self.emu.token()
        for (sub,) in rows(self.db, "SELECT uuid FROM subscription"):
            api = self.emu.get_json(f"/sub/v2/accounts/{ACCOUNT}/subscriptions/{sub}/cost", tok)["data"]
            want = {d["startTime"][:10]: micro(d["value"]) for d in api}
            got = dict(rows(self.db, "SELECT day, cost_micro FROM cost_day WHERE subscription_uuid=?", sub))
            self.assertEqual(got, want, sub)

    def test_every_environment_and_capability_is_present(self):
        tok = self.emu.token()
        envs = self.emu.get_json(f"/env/v2/accounts/{ACCOUNT}/environments", tok)["data"]
        stored = dict(rows(self.db, "SELECT environment_id, name FROM environment"))
        self.assertEqual(stored, {e["id"]: e.get("name") for e in envs})
        self.assertIn(None, stored.values())  # the one without a name
        self.assertIn("ステージング環境", stored.values())
        costed = {r[0] for r in rows(self.db, "SELECT DISTINCT environment_id FROM env_cost_day")}
        self.assertEqual(costed, set(stored))
        for (sub,) in rows(self.db, "SELECT uuid FROM subscription WHERE status='ACTIVE'"):
            detail = self.emu.get_json(f"/sub/v2/accounts/{ACCOUNT}/subscriptions/{sub}", tok)
            caps = {r[0] for r in rows(self.db, "SELECT capability_key FROM subscription_capability "
                                                "WHERE subscription_uuid=?", sub)}
            self.assertEqual(caps, {c["key"] for c in detail["capabilities"]})
            used = {r[0] for r in rows(self.db, "SELECT DISTINCT capability_key FROM env_cost_day "
                                                "WHERE subscription_uuid=?", sub)}
            self.assertLessEqual(used, caps)
            self.assertGreater(len(used), 20)

    def test_usage_forecast_rates_events_and_allocation_are_there(self):
        for table, least in (("usage_day", 1000), ("env_usage_day", 1000), ("forecast", 1),
                             ("rate_card", 31), ("cost_event", 1), ("cost_allocation", 100)):
            self.assertGreaterEqual(rows(self.db, f"SELECT COUNT(*) FROM {table}")[0][0], least, table)
        # Allocation splits each environment's cost exactly.
        bad = rows(self.db, """
            SELECT a.subscription_uuid, a.environment_id, a.field, a.day, SUM(a.cost_micro), e.total
            FROM cost_allocation a JOIN (SELECT subscription_uuid, environment_id, day,
                                          SUM(cost_micro) AS total FROM env_cost_day
                                   GROUP BY subscription_uuid, environment_id, day) e
              USING (subscription_uuid, environment_id, day)
            GROUP BY a.subscription_uuid, a.environment_id, a.field, a.day
            HAVING SUM(a.cost_micro) != e.total""")
        self.assertEqual(bad, [])
        self.assertIn("cost allocation", self.res.stderr)  # the EUR subscription has none: a warning

    def test_run_is_recorded_and_no_secret_is_stored(self):
        (status, requests, inserted, finished), = rows(
            self.db, "SELECT status, requests, inserted, finished_at FROM sync_run")
        self.assertEqual(status, "ok")
        self.assertGreater(requests, 10)
        self.assertGreater(inserted, 1000)
        self.assertIsNotNone(finished)
        for path in (self.db, self.db + "-wal"):
            if os.path.exists(path):
                with open(path, "rb") as f:
                    self.assertNotIn(CLIENT_SECRET.encode(), f.read())
        self.assertNotIn(CLIENT_SECRET, self.res.stdout + self.res.stderr)


if __name__ == "__main__":
    unittest.main()
