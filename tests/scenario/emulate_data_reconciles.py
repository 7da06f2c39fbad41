"""The emulated data reconciles the way a FinOps analyst would check it:
daily /cost = sum of per-environment cost (v3 and v2); per-capability /usage
= sum of per-environment usage; every cost = usage x rate-card price;
budget.used = cost in the current period; cost allocation sums to the
environment's cost; the forecast is derived from the history."""
import collections
import datetime
import unittest
from decimal import Decimal

from emu import ACCOUNT, Emulator, micro

A = f"/sub/v2/accounts/{ACCOUNT}"
V3 = f"/sub/v3/accounts/{ACCOUNT}"


def day_of(ts):
    return ts[:10]


class DataReconciles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # About the data, not the limits: some 2,500 pages of 50 in quick
        # succession would otherwise wait out the 300-per-second rate limit.
        cls.emu = Emulator("--rate-limit-rps", "0")
        cls.tok = cls.emu.token()
        cls.subs = cls.emu.subscriptions(cls.tok)

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def env_cost_v3(self, sub, start, end):
        per_day = collections.Counter()
        records = []
        for page in self.emu.pages(f"{V3}/subscriptions/{sub}/environments/cost", self.tok,
                                   {"startTime": start, "endTime": end}, page_size=50):
            for env in page["data"]:
                for rec in env["cost"]:
                    per_day[day_of(rec["startTime"])] += micro(rec["value"])
                    records.append((env["environmentId"], rec))
        return per_day, records

    def test_daily_cost_equals_sum_of_environment_costs(self):
        for s in self.subs:
            cost = self.emu.get_json(f"{A}/subscriptions/{s['uuid']}/cost", self.tok)["data"]
            if not cost:
                continue
            start, end = cost[0]["startTime"], cost[-1]["endTime"]
            per_day, _ = self.env_cost_v3(s["uuid"], start, end)
            self.assertEqual(len(per_day), len(cost))
            for item in cost:
                self.assertEqual(micro(item["value"]), per_day[day_of(item["startTime"])], item)

    def test_v2_and_v3_agree(self):
        sub = self.subs[0]["uuid"]
        q = {"startTime": "2026-10-01T00:00:00Z", "endTime": "2026-10-15T00:00:00Z"}
        v2 = self.emu.get_json(f"{A}/subscriptions/{sub}/environments/cost", self.tok, q)
        flat2 = sorted((e["environmentId"], r["startTime"], r["capabilityKey"], micro(r["value"]))
                       for e in v2["data"] for r in e["cost"])
        _, recs = self.env_cost_v3(sub, q["startTime"], q["endTime"])
        flat3 = sorted((env, r["startTime"], r["capabilityKey"], micro(r["value"])) for env, r in recs)
        self.assertEqual(flat2, flat3)
        self.assertGreater(len(flat3), 100)

    def test_usage_by_capability_equals_sum_of_environment_usage(self):
        sub = self.subs[0]["uuid"]
        usage = self.emu.get_json(f"{A}/subscriptions/{sub}/usage", self.tok)["data"]
        whole = {(u["startTime"], u["capabilityKey"]): Decimal(str(u["value"])) for u in usage
                 if u["startTime"] >= "2026-09-01"}
        parts = collections.Counter()
        for page in self.emu.pages(f"{V3}/subscriptions/{sub}/environments/usage", self.tok,
                                   {"startTime": "2026-09-01T00:00:00Z", "endTime": "2026-11-30T00:00:00Z"},
                                   page_size=50):
            for env in page["data"]:
                for u in env["usage"]:
                    parts[(u["startTime"], u["capabilityKey"])] += Decimal(str(u["value"]))
        self.assertEqual(set(whole), set(parts))
        for k, v in whole.items():
            self.assertEqual(v, parts[k], k)

    def test_cost_is_usage_times_rate_card_price(self):
        cards = self.emu.get(f"/sub/v1/accounts/{ACCOUNT}/rate-cards", self.tok).json()
        for s, card in zip(self.subs, cards):
            price = {c["key"]: Decimal(c["price"]) for c in card["capabilities"]}
            q = {"startTime": "2026-11-10T00:00:00Z", "endTime": "2026-11-20T00:00:00Z"}
            usage = {}
            for page in self.emu.pages(f"{V3}/subscriptions/{s['uuid']}/environments/usage", self.tok, q,
                                       page_size=50):
                for env in page["data"]:
                    for u in env["usage"]:
                        usage[(env["environmentId"], u["startTime"], u["capabilityKey"])] = Decimal(str(u["value"]))
            _, recs = self.env_cost_v3(s["uuid"], q["startTime"], q["endTime"])
            for env, r in recs:
                expected = usage[(env, r["startTime"], r["capabilityKey"])] * price[r["capabilityKey"]]
                self.assertEqual(Decimal(str(r["value"])), expected, (env, r))
                self.assertEqual(r["currencyCode"], card["currencyCode"])

    def test_budget_used_is_cost_in_current_period(self):
        for s in self.subs:
            d = self.emu.get_json(f"{A}/subscriptions/{s['uuid']}", self.tok)
            p0, p1 = d["currentPeriod"]["startTime"], d["currentPeriod"]["endTime"]
            cost = self.emu.get_json(f"{A}/subscriptions/{s['uuid']}/cost", self.tok)["data"]
            in_period = sum(micro(c["value"]) for c in cost if p0 <= day_of(c["startTime"]) <= p1)
            self.assertEqual(micro(d["budget"]["used"]), in_period, s["name"])
            self.assertTrue(all(c["currencyCode"] == d["budget"]["currencyCode"] for c in cost))

    def test_cost_allocation_splits_environment_cost_exactly(self):
        sub = self.subs[0]["uuid"]
        env = self.emu.get_json(f"{V3}/subscriptions/{sub}/environments/cost", self.tok,
                                {"startTime": "2026-11-01T00:00:00Z", "endTime": "2026-11-02T00:00:00Z"})["data"][0]
        env_id = env["environmentId"]
        _, recs = self.env_cost_v3(sub, "2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z")
        env_total = collections.Counter()
        for e, r in recs:
            if e == env_id:
                env_total[(day_of(r["startTime"]), r["capabilityKey"])] += micro(r["value"])
        for field in ("COSTCENTER", "PRODUCT"):
            alloc = collections.Counter()
            keys = set()
            for page in self.emu.pages(f"/v1/subscriptions/{sub}/cost-allocation", self.tok,
                                       {"field": field, "environment-id": env_id, "from": "2026-11-01",
                                        "to": "2026-11-07"}, page_size=50):
                for rec in page["records"]:
                    alloc[(rec["date"], rec["capability"])] += micro(rec["costs"])
                    keys.add(rec["key"])
            self.assertEqual(alloc, env_total, field)
            self.assertEqual(len(keys), 4)

    def test_forecast_follows_history(self):
        f = self.emu.get_json(f"{A}/subscriptions/forecast", self.tok)
        d = self.emu.get_json(f"{A}/subscriptions/{self.subs[0]['uuid']}", self.tok)
        self.assertEqual(f["budget"], d["budget"]["total"])
        self.assertGreaterEqual(f["forecastMedian"], d["budget"]["used"])
        self.assertAlmostEqual(f["forecastBudgetPct"], f["forecastMedian"] / f["budget"] * 100, places=1)
        when = datetime.date.fromisoformat(f["forecastBudgetDate"][:10])
        self.assertGreater(when, datetime.date(2026, 11, 21))

    def test_every_environment_and_capability_appears(self):
        envs = {e["id"] for e in self.emu.get_json(f"/env/v2/accounts/{ACCOUNT}/environments", self.tok)["data"]}
        seen_envs, seen_caps = set(), set()
        for s in self.subs:
            caps = {c["key"] for c in self.emu.get_json(f"{A}/subscriptions/{s['uuid']}", self.tok)["capabilities"]}
            cost = self.emu.get_json(f"{A}/subscriptions/{s['uuid']}/cost", self.tok)["data"]
            _, recs = self.env_cost_v3(s["uuid"], cost[0]["startTime"], cost[-1]["endTime"])
            seen_envs |= {e for e, _ in recs}
            got = {r["capabilityKey"] for _, r in recs}
            self.assertEqual(got, caps, s["name"])
            seen_caps |= got
        self.assertEqual(seen_envs, envs)
        self.assertEqual(len(seen_caps), 31)


if __name__ == "__main__":
    unittest.main()
