"""Every error the contract lists comes back with its status and a message:
SSO 400s, 401 unknown/expired/wrong-account token, 403 missing scope, 404
unknown subscription, 400 missing parameters and bad page keys. Account
Management errors come in the live boolean envelope
{"error": true, "message": ..., "payload": null}."""
import time
import unittest

from emu import ACCOUNT, ENV_CLIENT_ID, ENV_CLIENT_SECRET, Emulator

A = f"/sub/v2/accounts/{ACCOUNT}"
OTHER_ACCOUNT = "00000000-0000-4000-8000-000000000000"


class AccountApiErrors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Tokens live 2 s here, so every test takes a fresh one (setUp).
        cls.emu = Emulator("--days", "60", "--token-ttl", "2")
        cls.sub = cls.emu.subscriptions(cls.emu.token())[0]["uuid"]

    def setUp(self):
        self.tok = self.emu.token()

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def assertError(self, r, status, fragment=None):
        self.assertEqual(r.status, status, r.body)
        doc = r.json()
        self.assertEqual(set(doc), {"error", "message", "payload"}, doc)
        self.assertIs(doc["error"], True)
        self.assertIsNone(doc["payload"])
        if fragment:
            self.assertIn(fragment, doc["message"])

    def assertOAuthError(self, r, error, fragment=None):
        self.assertEqual(r.status, 400, r.body)
        doc = r.json()
        self.assertEqual(doc["error"], error)
        if fragment:
            self.assertIn(fragment, doc["error_description"])

    def test_sso_refuses_bad_credentials_grant_scope_and_resource(self):
        self.assertOAuthError(self.emu.token_response(secret="dt0s02.EMUCLI00.wrong"), "invalid_client")
        self.assertOAuthError(self.emu.token_response(client_id="dt0s02.NOBODY00"), "invalid_client")
        self.assertOAuthError(self.emu.token_response(grant_type="password"), "unsupported_grant_type")
        self.assertOAuthError(self.emu.token_response(scope="account-uac-read settings:objects:read"),
                              "invalid_request", "missing following scopes [settings:objects:read]")
        self.assertOAuthError(self.emu.token_response(resource=f"urn:dtaccount:{OTHER_ACCOUNT}"),
                              "invalid_request", "resource")
        self.assertOAuthError(self.emu.token_response(resource=None), "invalid_request", "resource")
        r = self.emu.request("POST", "/sso/oauth2/token", headers={"Content-Type": "application/json"},
                             body="{}")
        self.assertOAuthError(r, "invalid_request", "Content-Type")

    def test_secret_never_echoed_by_sso(self):
        r = self.emu.token_response(secret="dt0s02.EMUCLI00.very-secret-value-123")
        self.assertNotIn(b"very-secret-value-123", r.body)

    def test_unknown_missing_and_wrong_account_tokens_get_401(self):
        self.assertError(self.emu.get(f"{A}/subscriptions", None), 401, "missing")
        self.assertError(self.emu.get(f"{A}/subscriptions", "not-a-token"), 401, "unknown")
        self.assertError(self.emu.get(f"/sub/v2/accounts/{OTHER_ACCOUNT}/subscriptions", self.tok), 401,
                         "not valid for account")

    def test_expired_token_gets_401(self):
        tok = self.emu.token()
        self.assertEqual(self.emu.get(f"{A}/subscriptions", tok).status, 200)
        time.sleep(2.3)
        self.assertError(self.emu.get(f"{A}/subscriptions", tok), 401, "expired")

    def test_missing_scope_gets_403(self):
        tok = self.emu.token(client_id=ENV_CLIENT_ID, secret=ENV_CLIENT_SECRET)
        self.assertError(self.emu.get(f"{A}/subscriptions/{self.sub}/cost", tok), 403, "account-uac-read")
        # The same token may read the environment list (account-env-read).
        self.assertEqual(self.emu.get(f"/env/v2/accounts/{ACCOUNT}/environments", tok).status, 200)
        narrow = self.emu.token(scope="account-uac-read")
        self.assertError(self.emu.get(f"/env/v2/accounts/{ACCOUNT}/environments", narrow), 403)

    def test_unknown_subscription_gets_404(self):
        for path in ("", "/cost", "/usage", "/environments/cost"):
            r = self.emu.get(f"{A}/subscriptions/{OTHER_ACCOUNT}{path}", self.tok,
                             {"startTime": "2026-11-01T00:00:00Z", "endTime": "2026-11-02T00:00:00Z"})
            self.assertError(r, 404, "not found")
        self.assertError(self.emu.get(f"/v1/subscriptions/{OTHER_ACCOUNT}/cost-allocation", self.tok,
                                      {"field": "PRODUCT", "environment-id": "x"}), 404)

    def test_missing_and_bad_parameters_get_400(self):
        for v, missing in (("v2", "startTime"), ("v3", "'endTime' must be provided")):
            base = f"/sub/{v}/accounts/{ACCOUNT}/subscriptions/{self.sub}/environments/cost"
            self.assertError(self.emu.get(base, self.tok), 400, missing)
            self.assertError(self.emu.get(base, self.tok, {"startTime": "2026-11-01T00:00:00Z"}), 400)
            self.assertError(self.emu.get(base, self.tok, {"startTime": "yesterday", "endTime": "today"}), 400)
            self.assertError(self.emu.get(base, self.tok, {"startTime": "2026-11-05T00:00:00Z",
                                                           "endTime": "2026-11-01T00:00:00Z"}), 400)
        v3 = f"/sub/v3/accounts/{ACCOUNT}/subscriptions/{self.sub}/environments/cost"
        week = {"startTime": "2026-11-01T00:00:00Z", "endTime": "2026-11-09T00:00:00Z", "page-size": "5"}
        self.assertError(self.emu.get(v3, self.tok, {**week, "page-key": "garbage"}), 400, "page-key")
        self.assertError(self.emu.get(v3, self.tok, {**week, "page-key": "dGFtcGVyZWQga2V5IHdpdGggbm8gbWFj"}),
                         400, "page-key")
        self.assertError(self.emu.get(v3, self.tok, {"startTime": "2026-11-01T00:00:00Z",
                                                     "endTime": "2026-11-02T00:00:00Z", "page-size": "0"}), 400)
        # A cost page key is refused on the usage endpoint.
        first = self.emu.get_json(v3, self.tok, week)
        usage = v3.replace("/cost", "/usage")
        self.assertError(self.emu.get(usage, self.tok, {**week, "page-key": first["nextPageKey"]}), 400,
                         "page-key")
        self.assertError(self.emu.get(f"{A}/subscriptions/events", self.tok, {"eventType": "weather"}), 400)

    def test_cost_allocation_parameter_rules(self):
        ca = f"/v1/subscriptions/{self.sub}/cost-allocation"
        self.assertError(self.emu.get(ca, self.tok), 400, "required")
        self.assertError(self.emu.get(ca, self.tok, {"field": "TEAM", "environment-id": "x"}), 400)
        env = self.emu.get_json(f"/env/v2/accounts/{ACCOUNT}/environments", self.tok)["data"][0]["id"]
        first = self.emu.get_json(ca, self.tok, {"field": "PRODUCT", "environment-id": env, "page-size": 3})
        self.assertIn("nextPageKey", first)
        self.assertError(self.emu.get(ca, self.tok, {"page-key": first["nextPageKey"], "field": "PRODUCT"}),
                         400, "no other query parameter")
        self.assertEqual(self.emu.get(ca, self.tok, {"page-key": first["nextPageKey"]}).status, 200)

    def test_unknown_paths_and_methods(self):
        self.assertError(self.emu.get("/sub/v9/nothing", self.tok), 404)
        r = self.emu.request("DELETE", f"{A}/subscriptions", headers={"Authorization": f"Bearer {self.tok}"})
        self.assertError(r, 405)


if __name__ == "__main__":
    unittest.main()
