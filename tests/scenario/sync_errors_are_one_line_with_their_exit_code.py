"""Each way `dtcost sync` can be set up wrong gives one line on stderr that
names the input and the next step, and its own exit code: bad credentials,
wrong account and missing scope 77; unknown subscription, no account and an
unsafe secret file 78; an unreachable API 69; a database that cannot be
opened 74. No secret ever appears in the output."""
import os
import unittest

from dtsync import run_sync, sync_env
from emu import CLIENT_SECRET, ENV_CLIENT_ID, ENV_CLIENT_SECRET, Emulator, tmpdir


class SyncErrors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator("--days", "30")
        cls.dir = tmpdir()
        cls.db = os.path.join(cls.dir, "dtcost.db")

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def fails(self, code, fragments, *args, **env):
        res = run_sync(self.emu, self.db, "--retry-attempts", "2", *args, env=sync_env(self.emu, **env))
        self.assertEqual(res.returncode, code, res.stderr)
        lines = res.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, res.stderr)
        self.assertTrue(lines[0].startswith("dtcost sync: "), lines[0])
        for f in fragments:
            self.assertIn(f, lines[0])
        self.assertEqual(res.stdout, "")
        for secret in (CLIENT_SECRET, ENV_CLIENT_SECRET, "wrong-secret-value"):
            self.assertNotIn(secret, res.stderr)
        return lines[0]

    def test_bad_credentials(self):
        self.fails(77, ["invalid_client", "check DT_CLIENT_ID / DT_CLIENT_SECRET"],
                   DT_CLIENT_SECRET="wrong-secret-value")

    def test_wrong_account(self):
        self.fails(77, ["check DT_ACCOUNT_UUID"], DT_ACCOUNT_UUID="00000000-0000-4000-8000-000000000000")

    def test_missing_scope(self):
        self.fails(77, ["missing following scopes [account-uac-read]",
                        "give the OAuth client the scope account-uac-read"], DT_CLIENT_ID=ENV_CLIENT_ID,
                   DT_CLIENT_SECRET=ENV_CLIENT_SECRET)

    def test_a_token_without_the_cost_scope_is_refused_by_the_api(self):
        self.fails(77, ["HTTP 403", "account-uac-read"], "--scopes", "account-env-read",
                   DT_CLIENT_ID=ENV_CLIENT_ID, DT_CLIENT_SECRET=ENV_CLIENT_SECRET)

    def test_unknown_subscription(self):
        self.fails(78, ["subscription 11111111-2222-4333-8444-555555555555 is not in account",
                        "without --subscription"], "--subscription", "11111111-2222-4333-8444-555555555555")

    def test_nothing_configured(self):
        self.fails(78, ["no account configured", "DT_ACCOUNT_UUID"], DT_ACCOUNT_UUID=None,
                   DT_CLIENT_ID=None, DT_CLIENT_SECRET=None)

    def test_secret_file_readable_by_others_is_refused(self):
        path = os.path.join(self.dir, "secret")
        with open(path, "w") as f:
            f.write("wrong-secret-value\n")
        os.chmod(path, 0o644)
        self.fails(78, [path, "chmod 600"], DT_CLIENT_SECRET=None, DT_CLIENT_SECRET_FILE=path)
        os.chmod(path, 0o600)
        # Readable only by its owner: accepted (and then refused by the SSO as wrong).
        self.fails(77, ["invalid_client"], DT_CLIENT_SECRET=None, DT_CLIENT_SECRET_FILE=path)

    def test_unreachable_api(self):
        self.fails(69, ["127.0.0.1:9", "check DT_API_URL"], DT_API_URL="http://127.0.0.1:9")

    def test_database_that_cannot_be_opened(self):
        res = run_sync(self.emu, os.path.join(self.dir, "no", "such", "dir.db"))
        self.assertEqual(res.returncode, 74, res.stderr)
        self.assertIn("cannot open", res.stderr)


if __name__ == "__main__":
    unittest.main()
