"""`dtcost doctor` checks configuration, database, token, the cost scope and
the environment scope one line each: exit 0 when all work; otherwise a FAIL
line saying what to fix and the exit code sync would end with."""
import os
import subprocess
import unittest

from dtsync import sync_env
from emu import CLIENT_SECRET, DTCOST, ENV_CLIENT_ID, ENV_CLIENT_SECRET, Emulator, tmpdir


class Doctor(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator("--days", "10")
        cls.db = os.path.join(tmpdir(), "doctor.db")

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def doctor(self, **env):
        return subprocess.run([DTCOST, "doctor", "--db", self.db], env=sync_env(self.emu, **env),
                              capture_output=True, text=True, timeout=60)

    def test_all_checks_pass(self):
        r = self.doctor()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for check in ("config", "database", "token", "cost API", "environments"):
            self.assertRegex(r.stdout, rf"\n  {check} +ok ")
        self.assertIn("3 subscriptions", r.stdout)
        self.assertNotIn(CLIENT_SECRET, r.stdout + r.stderr)

    def test_a_client_without_the_cost_scope_fails_the_token_check_naming_it(self):
        r = self.doctor(DT_CLIENT_ID=ENV_CLIENT_ID, DT_CLIENT_SECRET=ENV_CLIENT_SECRET)
        self.assertEqual(r.returncode, 77)
        self.assertRegex(r.stdout, r"  token +FAIL .*missing following scopes \[account-uac-read\]"
                                   r".*give the OAuth client the scope account-uac-read")
        self.assertNotIn(ENV_CLIENT_SECRET, r.stdout + r.stderr)

    def test_a_token_granted_without_the_cost_scope_fails_the_cost_check(self):
        r = self.doctor(DT_CLIENT_ID=ENV_CLIENT_ID, DT_CLIENT_SECRET=ENV_CLIENT_SECRET, DT_SCOPES="account-env-read")
        self.assertEqual(r.returncode, 77)
        self.assertRegex(r.stdout, r"  token +ok .*with scopes: account-env-read")
        self.assertRegex(r.stdout, r"  scopes +FAIL .*lacks account-uac-read")
        self.assertNotIn(ENV_CLIENT_SECRET, r.stdout + r.stderr)

    def test_the_token_line_names_the_scopes_granted(self):
        r = self.doctor()
        self.assertRegex(r.stdout, r"  token +ok .*with scopes: account-uac-read account-env-read")

    def test_bad_secret_fails_the_token_check(self):
        r = self.doctor(DT_CLIENT_SECRET="wrong-secret-value")
        self.assertEqual(r.returncode, 77)
        self.assertRegex(r.stdout, r"  token +FAIL .*check DT_CLIENT_ID / DT_CLIENT_SECRET")
        self.assertNotIn("wrong-secret-value", r.stdout + r.stderr)

    def test_missing_configuration(self):
        r = self.doctor(DT_ACCOUNT_UUID=None, DT_CLIENT_ID=None, DT_CLIENT_SECRET=None)
        self.assertEqual(r.returncode, 78)
        self.assertRegex(r.stdout, r"  config +FAIL no account configured")


if __name__ == "__main__":
    unittest.main()
