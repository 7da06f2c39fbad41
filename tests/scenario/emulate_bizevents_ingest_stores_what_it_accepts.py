"""Business-event ingest accepts pure JSON, one CloudEvent and CloudEvent
batches (singular and plural spellings, charset tolerated) with 202 and an
empty body, through every documented path and both kinds of auth, and keeps
each event for read-back the way Grail records it: source -> event.provider,
type -> event.type, data flattened, nested values as JSON strings."""
import json
import unittest

from emu import ENV_CLIENT_ID, ENV_CLIENT_SECRET, INGEST_TOKEN, Emulator

INGEST = "/api/v2/bizevents/ingest"


def ce(i, **data):
    return {"specversion": "1.0", "id": f"cost-{i}", "source": "dtcost", "type": "dtcost.cost.daily",
            "time": "2026-11-21T00:00:00Z", "data": data}


def unique_keys(pairs):
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), f"duplicate keys in {keys}"
    return dict(pairs)


class BizeventsAccepted(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator("--days", "30")

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def setUp(self):
        self.assertEqual(self.emu.request("DELETE", "/emu/bizevents").status, 204)

    def post(self, body, ctype, path=INGEST, auth=f"Api-Token {INGEST_TOKEN}"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.emu.request("POST", path, headers={"Content-Type": ctype, "Authorization": auth},
                                body=data)

    def stored(self):
        r = self.emu.request("GET", "/emu/bizevents")
        self.assertEqual(r.status, 200)
        return json.loads(r.body, object_pairs_hook=unique_keys)

    def assertAccepted(self, r):
        self.assertEqual(r.status, 202, r.body)
        self.assertEqual(r.body, b"")

    def test_each_content_type_is_accepted_with_202_and_no_body(self):
        cases = [
            ({"event.type": "a", "cost": 1.5}, "application/json"),
            ([{"event.type": "b"}, {"event.type": "c"}], "application/json; charset=utf-8"),
            (ce(1, cost=2), "application/cloudevent+json"),
            (ce(2, cost=3), "application/cloudevents+json"),
            ([ce(3), ce(4), ce(5)], "application/cloudevent-batch+json"),
            ([ce(6)], "Application/CloudEvents-Batch+JSON; charset=UTF-8"),
        ]
        for body, ctype in cases:
            with self.subTest(ctype=ctype):
                self.assertAccepted(self.post(body, ctype))
        got = self.stored()
        self.assertEqual(len(got), 1 + 2 + 1 + 1 + 3 + 1)
        self.assertEqual([g["contentType"] for g in got[:3]], ["application/json"] * 3)
        self.assertEqual({g["auth"] for g in got}, {"api-token"})

    def test_cloudevents_are_recorded_as_grail_would(self):
        self.assertAccepted(self.post(
            [ce(7, subscription="s-1", costMicro=1234500, tags={"team": "pay"}, days=[1, 2])],
            "application/cloudevent-batch+json"))
        rec = self.stored()[0]["record"]
        self.assertEqual(rec["event.provider"], "dtcost")
        self.assertEqual(rec["event.type"], "dtcost.cost.daily")
        self.assertEqual(rec["event.id"], "cost-7")
        self.assertEqual(rec["event.kind"], "BIZ_EVENT")
        self.assertEqual(rec["timestamp"], "2026-11-21T00:00:00Z")
        self.assertEqual(rec["subscription"], "s-1")
        self.assertEqual(rec["costMicro"], 1234500)
        self.assertEqual(rec["tags"], '{"team":"pay"}')
        self.assertEqual(rec["days"], "[1,2]")
        self.assertNotIn("data", rec)

    def test_cloudevent_attributes_win_over_data_fields_of_the_same_name(self):
        ev = {**ce(12, subject="from-data", kept=1), "subject": "from-attribute"}
        self.assertAccepted(self.post(ev, "application/cloudevent+json"))
        rec = self.stored()[0]["record"]  # stored() refuses duplicate keys
        self.assertEqual((rec["subject"], rec["kept"]), ("from-attribute", 1))

    def test_pure_json_keeps_top_level_fields_and_gets_an_id(self):
        self.assertAccepted(self.post({"event.type": "cost", "event.provider": "dtcost", "value": 0.25,
                                       "nested": {"a": 1}}, "application/json"))
        got = self.stored()[0]
        self.assertEqual(got["event"], {"event.type": "cost", "event.provider": "dtcost", "value": 0.25,
                                        "nested": {"a": 1}})
        rec = got["record"]
        self.assertEqual((rec["event.type"], rec["event.provider"], rec["value"]), ("cost", "dtcost", 0.25))
        self.assertEqual(rec["nested"], '{"a":1}')
        self.assertRegex(rec["event.id"], r"^[0-9a-f]{16}$")
        self.assertEqual(rec["timestamp"], got["received"])
        # Generated ids differ between events, also for events sent together.
        self.assertAccepted(self.post([{"v": 1}, {"v": 2}, {"v": 1}], "application/json"))
        ids = [g["record"]["event.id"] for g in self.stored()]
        self.assertEqual(len(set(ids)), 4, ids)

    def test_environment_paths_and_oauth(self):
        tok = self.emu.token()
        self.assertAccepted(self.post(ce(8), "application/cloudevent+json", path="/e/abc12345" + INGEST))
        self.assertAccepted(self.post(ce(9), "application/cloudevent+json", auth=f"Bearer {tok}"))
        self.assertAccepted(self.post(ce(10), "application/cloudevent+json",
                                      path="/platform/classic/environment-api/v2/bizevents/ingest",
                                      auth=f"Bearer {tok}"))
        got = self.stored()
        self.assertEqual([g["environment"] for g in got], ["abc12345", "", ""])
        self.assertEqual([g["auth"] for g in got], ["api-token", "oauth", "oauth"])

    def test_delete_clears_the_store(self):
        self.assertAccepted(self.post(ce(11), "application/cloudevent+json"))
        self.assertEqual(len(self.stored()), 1)
        self.assertEqual(self.emu.request("DELETE", "/emu/bizevents").status, 204)
        self.assertEqual(self.stored(), [])


if __name__ == "__main__":
    unittest.main()
