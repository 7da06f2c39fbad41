"""Business-event ingest refuses what Dynatrace refuses, storing nothing:
401 without or with an unknown token (and Api-Tokens on the OAuth-only
platform path), 403 without bizevents.ingest or storage:events:write, 400
for malformed JSON and CloudEvents missing a required attribute (naming it),
413 over --bizevents-max (a body of exactly the limit passes), 415 for
other content types, 401 for an OAuth token that has expired, and 429 once
the emulator's store is full (100,000 events) until it is cleared."""
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
        # The limit is the flag's value, inclusive: 4096 bytes pass, 4097 do not.
        base = len(json.dumps({**CE, "data": {"pad": ""}}).encode())
        exact = json.dumps({**CE, "data": {"pad": "x" * (4096 - base)}}).encode()
        self.assertEqual(len(exact), 4096)
        self.assertRefused(self.post(exact[:-1] + b" " + exact[-1:]), 413)
        r = self.post(exact)
        self.assertEqual((r.status, r.body), (202, b""))
        self.assertEqual(len(self.emu.request("GET", "/emu/bizevents").json()), 1)
        self.assertEqual(self.emu.request("DELETE", "/emu/bizevents").status, 204)
        self.assertRefused(self.post(CE, "text/plain"), 415, "application/cloudevent+json")
        self.assertRefused(self.post(CE, ""), 415)


class BizeventsRejectedByState(unittest.TestCase):
    """Refusals that depend on what happened before: token use, store size."""

    def post(self, emu, body, auth=f"Api-Token {INGEST_TOKEN}", ctype="application/json"):
        return emu.request("POST", INGEST, body=json.dumps(body).encode(),
                           headers={"Content-Type": ctype, "Authorization": auth})

    def test_expired_oauth_token_gets_401(self):
        with Emulator("--days", "30", "--token-max-uses", "1") as emu:
            tok = emu.token()
            r = self.post(emu, CE, auth=f"Bearer {tok}", ctype="application/cloudevent+json")
            self.assertEqual((r.status, r.body), (202, b""))
            r = self.post(emu, {**CE, "id": "2"}, auth=f"Bearer {tok}",
                          ctype="application/cloudevent+json")
            self.assertEqual(r.status, 401, r.body)
            self.assertIn("expired", r.json()["error"]["message"])
            self.assertEqual(len(emu.request("GET", "/emu/bizevents").json()), 1)

    def test_full_store_answers_429_until_cleared(self):
        with Emulator("--days", "30") as emu:
            batch = [{"n": i} for i in range(5000)]
            for _ in range(20):
                r = self.post(emu, batch)
                self.assertEqual(r.status, 202, r.body)
            # 100,000 stored: one more event does not fit, and nothing of it is kept.
            r = self.post(emu, {"n": -1})
            self.assertEqual(r.status, 429, r.body)
            self.assertEqual(r.json()["error"]["code"], 429)
            self.assertIn("full", r.json()["error"]["message"])
            got = emu.request("GET", "/emu/bizevents")
            self.assertEqual(got.status, 200)
            events = got.json()
            self.assertEqual(len(events), 100000)
            self.assertEqual(events[-1]["event"], {"n": 4999})
            self.assertEqual(emu.request("DELETE", "/emu/bizevents").status, 204)
            self.assertEqual(self.post(emu, {"n": -1}).status, 202)
            self.assertEqual(len(emu.request("GET", "/emu/bizevents").json()), 1)


if __name__ == "__main__":
    unittest.main()
