"""Account Management errors (/sub, /v1, /env) come in the boolean envelope live
accounts answer, {"error": true, "message": "...", "payload": null}; the
environment and cluster APIs keep {"error": {"code": N, "message": "..."}},
the SSO OAuth's {"error": "...", "error_description": "..."}.
--error-envelope nested switches the account APIs back to the nested form."""
import json
import subprocess
import unittest

from emu import ACCOUNT, CLUSTER_TOKEN, DTCOST, Emulator

OTHER = "00000000-0000-4000-8000-000000000000"


def account_errors(emu, tok):
    """(status, parsed body) of one error per Account Management family."""
    sub = emu.subscriptions(tok)[0]["uuid"]
    calls = [
        (f"/sub/v2/accounts/{ACCOUNT}/subscriptions", None, None),                       # 401
        (f"/sub/v2/accounts/{ACCOUNT}/subscriptions/{OTHER}", tok, None),                # 404
        (f"/sub/v3/accounts/{ACCOUNT}/subscriptions/{sub}/environments/cost", tok, None),  # 400
        (f"/sub/v1/accounts/{OTHER}/rate-cards", tok, None),                             # 401
        (f"/v1/subscriptions/{sub}/cost-allocation", tok, None),                         # 400
        (f"/v1/accounts/{ACCOUNT}/settings/costcenters", tok, {"page": "0"}),            # 400
        (f"/env/v2/accounts/{OTHER}/environments", tok, None),                           # 401
        ("/sub/v9/nothing", tok, None),                                                  # 404
    ]
    out = []
    for path, t, params in calls:
        r = emu.get(path, t, params)
        out.append((r.status, path, json.loads(r.body)))
    return out


class LiveEnvelope(unittest.TestCase):
    def test_account_api_errors_are_boolean_with_message_and_null_payload(self):
        with Emulator("--days", "30") as emu:
            got = account_errors(emu, emu.token())
        self.assertEqual([s for s, _, _ in got], [401, 404, 400, 401, 400, 400, 401, 404])
        for status, path, doc in got:
            with self.subTest(path=path):
                self.assertEqual(set(doc), {"error", "message", "payload"})
                self.assertIs(doc["error"], True)
                self.assertIsNone(doc["payload"])
                self.assertIsInstance(doc["message"], str)
                self.assertTrue(doc["message"])

    def test_other_apis_keep_their_forms(self):
        with Emulator("--days", "30") as emu:
            r = emu.get("/api/cluster/v2/license/consumption/hour", None, {"startTs": "1"})
            self.assertEqual(r.status, 401)
            self.assertEqual(r.json()["error"]["code"], 401)
            r = emu.request("POST", "/api/v2/bizevents/ingest", body="{}",
                            headers={"Content-Type": "application/json"})
            self.assertEqual(r.json()["error"]["code"], 401)
            r = emu.get("/api/cluster/v2/license/consumption", None, {"api-token": CLUSTER_TOKEN})
            self.assertEqual(r.status, 400)
            self.assertEqual(r.json()["error"]["code"], 400)
            r = emu.token_response(secret="dt0s02.EMUCLI00.wrong")
            self.assertEqual(r.status, 400)
            self.assertEqual(r.json()["error"], "invalid_client")
            self.assertIn("error_description", r.json())

    def test_nested_envelope_on_request(self):
        with Emulator("--days", "30", "--error-envelope", "nested") as emu:
            got = account_errors(emu, emu.token())
        for status, path, doc in got:
            with self.subTest(path=path):
                self.assertEqual(set(doc), {"error"})
                self.assertEqual(doc["error"]["code"], status)
                self.assertTrue(doc["error"]["message"])

    def test_a_wrong_envelope_name_is_a_usage_error(self):
        p = subprocess.run([DTCOST, "emulate", "--error-envelope", "flat"], capture_output=True, timeout=10)
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"--error-envelope", p.stderr)


if __name__ == "__main__":
    unittest.main()
