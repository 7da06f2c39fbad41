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


def token_answers(emu):
    return [l["status"] for l in emu.log_lines() if l["path"] == "/sso/oauth2/token"]


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

    def test_an_sso_that_refuses_a_scope_with_a_bare_400(self):
        # The contract knows bad credentials as a plain 400 "Bad Request"; a
        # missing scope may look the same, so any 400 gets one retry with
        # account-uac-read alone when no scope was configured.
        db = os.path.join(tmpdir(), "dtcost.db")
        with Emulator(*FLAGS, "--sso-bare-refusals") as emu:
            res = run_sync(emu, db, env=sync_env(emu, DT_CLIENT_ID=UAC_CLIENT_ID, DT_CLIENT_SECRET=UAC_CLIENT_SECRET))
            answers = token_answers(emu)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertGreater(rows(db, "SELECT COUNT(*) FROM env_cost_day")[0][0], 100)
        self.assertIn("environment names not synced", res.stderr)
        self.assertEqual(answers[:2], [400, 200])
        # Bad credentials are still one clear refusal, after the one retry.
        with Emulator(*FLAGS, "--sso-bare-refusals") as emu:
            res = run_sync(emu, os.path.join(tmpdir(), "bad.db"),
                           env=sync_env(emu, DT_CLIENT_SECRET="dt0s02.WRONG.wrong"))
            self.assertEqual(token_answers(emu), [400, 400])
        self.assertEqual(res.returncode, 77, res.stderr)
        self.assertIn("check DT_CLIENT_ID / DT_CLIENT_SECRET", res.stderr)

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
