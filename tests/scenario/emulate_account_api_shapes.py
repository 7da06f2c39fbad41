"""Every Account Management endpoint answers with every required field, typed
as the contract says (shared/reference/dynatrace-api.md sections 1-3)."""
import unittest

from check import shape
from emu import ACCOUNT, Emulator

A = f"/sub/v2/accounts/{ACCOUNT}"


class AccountApiShapes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator()
        cls.tok = cls.emu.token()
        cls.subs = cls.emu.subscriptions(cls.tok)
        cls.sub = cls.subs[0]["uuid"]

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def test_token_answer(self):
        r = self.emu.token_response()
        self.assertEqual(r.status, 200)
        self.assertTrue(r.headers["content-type"].startswith("application/json"))
        shape(r.json(), {"token_type": "string", "resource": "string", "access_token": "string",
                         "expires_in": "integer", "scope": "string"}, "token")
        self.assertEqual(r.json()["resource"], f"urn:dtaccount:{ACCOUNT}")

    def test_subscription_list_has_expired_and_other_currency(self):
        for s in self.subs:
            shape(s, {"uuid": "string", "type": "string", "subType": "string", "name": "string",
                      "status": "string", "startTime": "date", "endTime": "date"}, "subscription")
        self.assertIn("EXPIRED", {s["status"] for s in self.subs})
        currencies = {self.emu.get_json(f"{A}/subscriptions/{s['uuid']}", self.tok)["budget"]["currencyCode"]
                      for s in self.subs}
        self.assertEqual(currencies, {"USD", "EUR"})

    def test_subscription_detail(self):
        d = self.emu.get_json(f"{A}/subscriptions/{self.sub}", self.tok)
        shape(d, {"uuid": "string", "type": "string", "subType": "string", "name": "string",
                  "status": "string", "startTime": "date", "endTime": "date", "account": "object",
                  "budget": "object", "currentPeriod": "object", "periods": "array",
                  "capabilities": "array"}, "detail")
        shape(d["account"], {"uuid": "string"}, "account")
        shape(d["budget"], {"total": "number", "used": "number", "currencyCode": "string"}, "budget")
        shape(d["currentPeriod"], {"startTime": "date", "endTime": "date", "daysRemaining": "number"}, "currentPeriod")
        for p in d["periods"]:
            shape(p, {"startTime": "date-time", "endTime": "date-time"}, "period")
        self.assertGreater(len(d["capabilities"]), 5)
        for c in d["capabilities"]:
            shape(c, {"key": "string", "name": "string"}, "capability")

    def test_forecast(self):
        f = self.emu.get_json(f"{A}/subscriptions/forecast", self.tok)
        shape(f, {"forecastMedian": "number", "forecastLower": "number", "forecastUpper": "number",
                  "budget": "number", "forecastBudgetPct": "number",
                  "forecastBudgetDate": "date-time", "forecastCreatedAt": "date-time"}, "forecast")
        self.assertLessEqual(f["forecastLower"], f["forecastMedian"])
        self.assertLessEqual(f["forecastMedian"], f["forecastUpper"])

    def test_usage_and_cost(self):
        u = self.emu.get_json(f"{A}/subscriptions/{self.sub}/usage", self.tok)
        shape(u, {"data": "array", "lastModifiedTime": "date-time"}, "usage")
        for item in u["data"][:200]:
            shape(item, {"capabilityKey": "string", "capabilityName": "string", "startTime": "date-time",
                         "endTime": "date-time", "value": "number", "unitMeasure": "string"}, "usage item")
        c = self.emu.get_json(f"{A}/subscriptions/{self.sub}/cost", self.tok)
        shape(c, {"data": "array", "lastModifiedTime": "date-time"}, "cost")
        self.assertGreater(len(c["data"]), 100)
        for item in c["data"]:
            shape(item, {"startTime": "date-time", "endTime": "date-time", "value": "number",
                         "currencyCode": "string", "lastBookingDate": "date-time"}, "cost item")

    def test_environment_cost_and_usage_v2(self):
        q = {"startTime": "2026-11-01T00:00:00Z", "endTime": "2026-11-10T00:00:00Z"}
        for kind, field in (("cost", "cost"), ("usage", "usage")):
            r = self.emu.get(f"{A}/subscriptions/{self.sub}/environments/{kind}", self.tok, q)
            self.assertEqual(r.status, 200, r.body)
            doc = r.json()
            shape(doc, {"data": "array", "lastModifiedTime": "date-time"}, kind)
            for env in doc["data"]:
                shape(env, {"environmentId": "string", field: "array"}, "env")
                for rec in env[field]:
                    if kind == "cost":
                        shape(rec, {"startTime": "date-time", "endTime": "date-time", "value": "number",
                                    "currencyCode": "string", "capabilityKey": "string",
                                    "capabilityName": "string"}, "v2 cost")
                    else:
                        shape(rec, {"capabilityKey": "string", "capabilityName": "string",
                                    "startTime": "date-time", "endTime": "date-time", "value": "number",
                                    "unitMeasure": "string"}, "v2 usage")

    def test_environment_cost_and_usage_v3(self):
        q = {"startTime": "2026-11-01T00:00:00Z", "endTime": "2026-11-05T00:00:00Z"}
        for kind in ("cost", "usage"):
            pages = self.emu.pages(f"/sub/v3/accounts/{ACCOUNT}/subscriptions/{self.sub}/environments/{kind}",
                                   self.tok, q, page_size=7)
            self.assertGreater(len(pages), 3)
            for p in pages:
                shape(p, {"data": "array", "lastModifiedTime": "date-time"}, kind)
                self.assertLessEqual(sum(len(e[kind]) for e in p["data"]), 7)
                for env in p["data"]:
                    shape(env, {"clusterId": "string", "environmentId": "string", kind: "array"}, "env")
                    for rec in env[kind]:
                        if kind == "cost":
                            shape(rec, {"startTime": "date-time", "endTime": "date-time", "value": "number",
                                        "currencyCode": "string", "capabilityKey": "string",
                                        "capabilityName": "string", "bookingDate": "date-time"}, "v3 cost")
                        else:
                            shape(rec, {"capabilityKey": "string", "capabilityName": "string",
                                        "startTime": "date-time", "endTime": "date-time",
                                        "value": "number", "unitMeasure": "string"}, "v3 usage")
            for p in pages[:-1]:
                self.assertIsInstance(p["nextPageKey"], str)

    def test_rate_cards(self):
        r = self.emu.get(f"/sub/v1/accounts/{ACCOUNT}/rate-cards", self.tok)
        self.assertEqual(r.status, 200)
        cards = r.json()
        self.assertIsInstance(cards, list)
        self.assertEqual(len(cards), len(self.subs))
        for card in cards:
            shape(card, {"quoteNumber": "string", "startTime": "date-time", "endTime": "date-time",
                         "currencyCode": "string", "capabilities": "array"}, "rate card")
            for c in card["capabilities"]:
                shape(c, {"key": "string", "name": "string", "quotedPrice": "string",
                          "quotedUnitOfMeasure": "string", "price": "string",
                          "startTime": "date-time", "endTime": "date-time"}, "rate card capability")
                float(c["price"])  # a decimal string

    def test_cost_events(self):
        events = self.emu.get_json(f"{A}/subscriptions/events", self.tok)
        self.assertIsInstance(events, list)
        self.assertEqual({e["eventType"] for e in events} >= {"cost", "budget"}, True, events[:3])
        for e in events:
            shape(e, {"environmentUuid": "string", "capability": "string", "date": "date-time",
                      "createdAt": "date-time", "severity": "string", "message": "string",
                      "eventType": "string", "notificationLevel": "string"}, "event")
        only = self.emu.get_json(f"{A}/subscriptions/events", self.tok, {"eventType": "budget"})
        self.assertTrue(only and all(e["eventType"] == "budget" for e in only))
        for kind in ("cost", "forecast"):
            got = self.emu.get_json(f"{A}/subscriptions/events", self.tok, {"eventType": kind})
            self.assertEqual(got, [e for e in events if e["eventType"] == kind], kind)
        # startTime / endTime select events by date, bounds included.
        dates = sorted({e["date"] for e in events})
        lo, hi = dates[len(dates) // 4], dates[3 * len(dates) // 4]
        window = self.emu.get_json(f"{A}/subscriptions/events", self.tok, {"startTime": lo, "endTime": hi})
        self.assertEqual(window, [e for e in events if lo <= e["date"] <= hi])
        self.assertLess(len(window), len(events))

    def test_cost_allocation(self):
        envs = self.emu.get_json(f"/env/v2/accounts/{ACCOUNT}/environments", self.tok)["data"]
        env = None
        for e in envs:
            r = self.emu.get(f"/v1/subscriptions/{self.sub}/cost-allocation", self.tok,
                             {"field": "COSTCENTER", "environment-id": e["id"], "from": "2026-11-01",
                              "to": "2026-11-03"})
            if r.status == 200:
                env = e["id"]
                break
        self.assertIsNotNone(env)
        doc = r.json()
        shape(doc, {"environmentId": "string", "field": "string", "records": "array"}, "allocation")
        for rec in doc["records"]:
            shape(rec, {"date": "date", "capability": "string", "key": "string", "costs": "number"}, "record")

    def test_environment_lists_and_clusters(self):
        v2 = self.emu.get_json(f"/env/v2/accounts/{ACCOUNT}/environments", self.tok)
        for e in v2["data"]:
            shape(e, {"id": "string", "active": "boolean", "url": "string"}, "environment")
        names = [e.get("name") for e in v2["data"]]
        self.assertIn(None, names, "one environment has no name")
        self.assertTrue(any(n and not n.isascii() for n in names), "non-ASCII names")
        v1 = self.emu.get_json(f"/env/v1/accounts/{ACCOUNT}/environments", self.tok)
        shape(v1, {"tenantResources": "array", "managementZoneResources": "array"}, "v1")
        for t in v1["tenantResources"]:
            shape(t, {"name": "string", "id": "string"}, "tenant")
        for z in v1["managementZoneResources"]:
            shape(z, {"parent": "string", "name": "string", "id": "string"}, "zone")
        cl = self.emu.get_json(f"/env/v2/accounts/{ACCOUNT}/clusters", self.tok)
        self.assertTrue(cl["data"])
        for c in cl["data"]:
            shape(c, {"clusterId": "string"}, "cluster")


if __name__ == "__main__":
    unittest.main()
