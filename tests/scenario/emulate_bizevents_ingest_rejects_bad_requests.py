"""Business-event ingest refuses what Dynatrace refuses, storing nothing:
401 without or with an unknown token (and Api-Tokens on the OAuth-only
platform path), 403 without bizevents.ingest or storage:events:write, 400
for malformed JSON and CloudEvents missing a required attribute (naming it),
413 over --bizevents-max, 415 for other content types."""
import json
import unittest

from emu import ENV_CLIENT_ID, ENV_CLIENT_SECRET, INGEST_TOKEN, NOINGEST_TOKEN, Emulator

INGEST = "/api/v2/bizevents/ingest"
CE = {"specversion": "1.0", "id": "1", "source": "dtcost", "type": "t", "data": {"x": 1}}


class BizeventsRejected(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator("--days", "30", "--bizevents-max", "4096")

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def post(self, body, ctype="application/cloudevent+json", auth=f"Api-Token {INGEST_TOKEN}",
             path=INGEST):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h = {"Content-Type": ctype}
        if auth:
            h["Authorization"] = auth
        return self.emu.request("POST", path, headers=h, body=data)

    def assertRefused(self, r, status, fragment=None):
        self.assertEqual(r.status, status, r.body)
        err = r.json()["error"]
        self.assertEqual(err["code"], status)
        if fragment:
            self.assertIn(fragment, json.dumps(err))
        self.assertEqual(self.emu.request("GET", "/emu/bizevents").json(), [], "something was stored")

    def test_auth(self):
        self.assertRefused(self.post(CE, auth=None), 401)
        self.assertRefused(self.post(CE, auth="Api-Token dt0c01.UNKNOWN.token"), 401)
        self.assertRefused(self.post(CE, auth="Bearer emu.00000000"), 401)
        self.assertRefused(self.post(CE, auth=f"Api-Token {NOINGEST_TOKEN}"), 403, "bizevents.ingest")
        env_only = self.emu.token(client_id=ENV_CLIENT_ID, secret=ENV_CLIENT_SECRET)
        self.assertRefused(self.post(CE, auth=f"Bearer {env_only}"), 403, "storage:events:write")
        self.assertRefused(self.post(CE, path="/platform/classic/environment-api/v2/bizevents/ingest"),
                           401, "OAuth")

    def test_malformed_and_invalid_events(self):
        self.assertRefused(self.post(b'{"specversion": "1.0", "id": ', ), 400, "Malformed JSON")
        for attr in ("specversion", "id", "source", "type"):
            ev = {k: v for k, v in CE.items() if k != attr}
            self.assertRefused(self.post(ev), 400, attr)
        self.assertRefused(self.post({**CE, "specversion": "0.3"}), 400, "specversion")
        # One bad event in a batch refuses the whole batch, naming its index.
        bad = [CE, {**CE, "id": "2", "source": ""}]
        self.assertRefused(self.post(bad, "application/cloudevent-batch+json"), 400, "[1].source")
        self.assertRefused(self.post(CE, "application/cloudevent-batch+json"), 400, "array")
        self.assertRefused(self.post([CE], "application/cloudevent+json"), 400, "one CloudEvent")
        self.assertRefused(self.post([1, 2], "application/json"), 400, "[0]")
        self.assertRefused(self.post([], "application/json"), 400, "no events")
        deep = b"[" * 40 + b"]" * 40
        self.assertRefused(self.post(deep, "application/json"), 400, "nested")

    def test_too_large_and_unsupported_type(self):
        big = {**CE, "data": {"pad": "x" * 5000}}
        self.assertRefused(self.post(big), 413)
        self.assertRefused(self.post(CE, "text/plain"), 415, "application/cloudevent+json")
        self.assertRefused(self.post(CE, ""), 415)


if __name__ == "__main__":
    unittest.main()
