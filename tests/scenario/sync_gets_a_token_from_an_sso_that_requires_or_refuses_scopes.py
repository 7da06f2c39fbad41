"""Some SSOs refuse a token request without `scope`; live Dynatrace refuses
one that asks for a scope the client was not granted. `dtcost sync` works
with both: it asks for what it needs (account-uac-read account-env-read) and,
when a scope is refused, for account-uac-read alone, syncing costs and
warning that environment names are skipped. An explicit --scopes is sent as
given."""
import os
import unittest

from dtsync import rows, run_sync, sync_env
from emu import UAC_CLIENT_ID, UAC_CLIENT_SECRET, Emulator, tmpdir

FLAGS = ("--days", "40", "--environments", "4", "--capabilities", "5")


def token_scopes(emu):
    return [l["query"] for l in emu.log_lines() if l["path"] == "/sso/oauth2/token"]


class Scopes(unittest.TestCase):
    def test_an_sso_that_requires_scope(self):
        db = os.path.join(tmpdir(), "dtcost.db")
        with Emulator(*FLAGS, "--sso-require-scope") as emu:
            res = run_sync(emu, db)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertGreater(rows(db, "SELECT COUNT(*) FROM env_cost_day")[0][0], 100)
        self.assertGreater(rows(db, "SELECT COUNT(*) FROM environment")[0][0], 0)

    def test_an_sso_that_refuses_a_scope_the_client_lacks(self):
        db = os.path.join(tmpdir(), "dtcost.db")
        with Emulator(*FLAGS, "--sso-refuse-unheld-scopes") as emu:
            res = run_sync(emu, db, env=sync_env(emu, DT_CLIENT_ID=UAC_CLIENT_ID, DT_CLIENT_SECRET=UAC_CLIENT_SECRET))
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertGreater(rows(db, "SELECT COUNT(*) FROM env_cost_day")[0][0], 100)
        self.assertIn("environment names not synced", res.stderr)
        self.assertNotIn(UAC_CLIENT_SECRET, res.stderr + res.stdout)

    def test_explicit_scopes_are_sent_as_given(self):
        db = os.path.join(tmpdir(), "dtcost.db")
        with Emulator(*FLAGS, "--sso-refuse-unheld-scopes") as emu:
            res = run_sync(emu, db, "--scopes", "account-uac-read account-env-read",
                           env=sync_env(emu, DT_CLIENT_ID=UAC_CLIENT_ID, DT_CLIENT_SECRET=UAC_CLIENT_SECRET))
        self.assertEqual(res.returncode, 77, res.stderr)
        self.assertIn("missing following scopes [account-env-read]", res.stderr)
        self.assertIn("ask only for scopes the OAuth client holds", res.stderr)


if __name__ == "__main__":
    unittest.main()
