"""The SSO's scope rules: by default a request without scope gets every scope
of the client (the public tutorial omits it), --sso-require-scope refuses it;
a request for a scope the client does not hold is refused whole with 400
invalid_request naming the missing scopes, as live (--sso-refuse-unheld-scopes
says so explicitly), unless --sso-grant-held-scopes grants the held ones.
The token answer's `scope` lists what was granted. A third client per account
holds only account-uac-read: it reads cost but not environments."""
import subprocess
import unittest

from emu import (ACCOUNT, CLIENT_ID, DTCOST, ENV_CLIENT_ID, ENV_CLIENT_SECRET, UAC_CLIENT_ID,
                 UAC_CLIENT_SECRET, Emulator)

UAC = {"client_id": UAC_CLIENT_ID, "secret": UAC_CLIENT_SECRET}


class OAuthAsserts:
    def assertOAuthError(self, r, error, fragment):
        self.assertEqual(r.status, 400, r.body)
        self.assertEqual(r.json()["error"], error)
        self.assertIn(fragment, r.json()["error_description"])


class SsoScopes(OAuthAsserts, unittest.TestCase):
    def test_no_scope_grants_every_scope_of_the_client_by_default(self):
        with Emulator("--days", "30") as emu:
            r = emu.token_response()
            self.assertEqual(r.status, 200)
            self.assertEqual(set(r.json()["scope"].split()),
                             {"account-uac-read", "account-env-read", "account-idm-read", "storage:events:write"})
            self.assertEqual(emu.token_response(**UAC).json()["scope"], "account-uac-read")

    def test_require_scope_refuses_a_request_without_one(self):
        with Emulator("--days", "30", "--sso-require-scope") as emu:
            self.assertOAuthError(emu.token_response(), "invalid_request", "scope is required")
            self.assertOAuthError(emu.token_response(scope=""), "invalid_request", "scope is required")
            r = emu.token_response(scope="account-uac-read account-env-read")
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.json()["scope"], "account-uac-read account-env-read")

    def test_an_unheld_scope_refuses_the_whole_request(self):
        for flags in ((), ("--sso-refuse-unheld-scopes",)):
            with self.subTest(flags=flags), Emulator("--days", "30", *flags) as emu:
                self.assertOAuthError(emu.token_response(scope="account-uac-read account-env-read", **UAC),
                                      "invalid_request",
                                      "Invalid OAuth2 request. UNSUCCESSFUL_OAUTH_ACCESS_TOKEN_VALIDATION_FAILED"
                                      " | OAuth client is missing following scopes [account-env-read]")
                self.assertOAuthError(emu.token_response(scope="account-uac-read", client_id=ENV_CLIENT_ID,
                                                         secret=ENV_CLIENT_SECRET),
                                      "invalid_request", "missing following scopes [account-uac-read]")
                r = emu.token_response(scope="account-uac-read", **UAC)
                self.assertEqual(r.json()["scope"], "account-uac-read")

    def test_grant_held_scopes_leaves_the_unheld_out(self):
        with Emulator("--days", "30", "--sso-grant-held-scopes") as emu:
            r = emu.token_response(scope="account-uac-read account-env-read", **UAC)
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.json()["scope"], "account-uac-read")
            tok = r.json()["access_token"]
            self.assertEqual(emu.get(f"/env/v2/accounts/{ACCOUNT}/environments", tok).status, 403)
            self.assertOAuthError(emu.token_response(scope="account-env-read", **UAC), "invalid_scope",
                                  "account-env-read")

    def test_the_two_unheld_scope_flags_exclude_each_other(self):
        p = subprocess.run([DTCOST, "emulate", "--sso-refuse-unheld-scopes", "--sso-grant-held-scopes"],
                           capture_output=True, timeout=10)
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"exclude each other", p.stderr)


class UacOnlyClient(OAuthAsserts, unittest.TestCase):
    def test_reads_cost_but_not_environments_nor_ingest(self):
        with Emulator("--days", "30") as emu:
            tok = emu.token(**UAC)
            sub = emu.subscriptions(tok)[0]["uuid"]
            self.assertEqual(emu.get(f"/sub/v2/accounts/{ACCOUNT}/subscriptions/{sub}/cost", tok).status, 200)
            self.assertEqual(emu.get(f"/v1/accounts/{ACCOUNT}/settings/costcenters", tok).status, 200)
            r = emu.get(f"/env/v2/accounts/{ACCOUNT}/environments", tok)
            self.assertEqual(r.status, 403)
            self.assertIn("account-env-read", r.json()["message"])
            r = emu.request("POST", "/api/v2/bizevents/ingest", body='{"a":1}',
                            headers={"Authorization": f"Bearer {tok}", "Content-Type": "application/json"})
            self.assertEqual(r.status, 403)
            state = emu.request("GET", "/emu/state").json()["accounts"][0]
            self.assertEqual(state["uacReadClientId"], UAC_CLIENT_ID)
            self.assertEqual(state["clientId"], CLIENT_ID)

    def test_its_secret_is_checked(self):
        with Emulator("--days", "30") as emu:
            self.assertOAuthError(emu.token_response(client_id=UAC_CLIENT_ID, secret=UAC_CLIENT_ID + ".wrong"),
                                  "invalid_client", "")


if __name__ == "__main__":
    unittest.main()
