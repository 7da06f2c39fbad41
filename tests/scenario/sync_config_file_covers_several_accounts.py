"""A config file (INI) lists several accounts, each with its own OAuth client
and secret file; one `dtcost sync --config FILE` syncs them all into one
database. The environment and flags override the file; an unknown setting or
a secret written into the file itself is refused with the line to fix."""
import os
import unittest

from dtsync import rows, run_sync, sync_env
from emu import Emulator, tmpdir


class SyncConfig(unittest.TestCase):
    def write(self, name, text, mode=0o600):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def setUp(self):
        self.dir = tmpdir()
        self.emu = Emulator("--days", "40", "--accounts", "2", "--subscriptions", "1")
        self.addCleanup(self.emu.stop)
        self.accounts = [a["uuid"] for a in self.emu.request("GET", "/emu/state").json()["accounts"]]
        self.env = sync_env(self.emu, DT_ACCOUNT_UUID=None, DT_CLIENT_ID=None, DT_CLIENT_SECRET=None,
                            DT_SSO_URL=None, DT_API_URL=None)

    def config(self, extra=""):
        secrets = [self.write(f"secret{i}", f"dt0s02.EMUCLI{i:02d}.emulator-secret-not-for-production\n")
                   for i in range(2)]
        sections = "".join(f"""
[account team{i}]
account_uuid = {uuid}
client_id = dt0s02.EMUCLI{i:02d}
client_secret_file = {secrets[i]}
sso_url = {self.emu.base}/sso/oauth2/token
api_url = {self.emu.base}
""" for i, uuid in enumerate(self.accounts))
        return self.write("dtcost.ini", f"[dtcost]\ndatabase = {self.dir}/from-config.db\ntrailing_days = 10\n"
                                        f"{extra}{sections}")

    def test_two_accounts_from_one_file(self):
        cfg = self.config()
        res = run_sync(self.emu, os.path.join(self.dir, "flag.db"), "--config", cfg, env=self.env)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("2 subscriptions of 2 accounts", res.stdout)
        got = {r[0] for r in rows(os.path.join(self.dir, "flag.db"), "SELECT account_uuid FROM subscription")}
        self.assertEqual(got, set(self.accounts))
        # the run names the accounts it covered (per-account metrics read it)
        self.assertEqual(rows(os.path.join(self.dir, "flag.db"), "SELECT status, accounts FROM sync_run"),
                         [("ok", " ".join(self.accounts))])
        self.assertFalse(os.path.exists(os.path.join(self.dir, "from-config.db")), "--db did not override")

    def test_environment_narrows_to_one_account(self):
        cfg = self.config()
        env = dict(self.env, DT_ACCOUNT_UUID=self.accounts[1])
        res = run_sync(self.emu, os.path.join(self.dir, "one.db"), "--config", cfg, env=env)
        self.assertEqual(res.returncode, 0, res.stderr)
        got = {r[0] for r in rows(os.path.join(self.dir, "one.db"), "SELECT account_uuid FROM subscription")}
        self.assertEqual(got, {self.accounts[1]})
        self.assertEqual(rows(os.path.join(self.dir, "one.db"), "SELECT accounts FROM sync_run"),
                         [(self.accounts[1],)])

    def test_unknown_setting_and_inline_secret_are_refused(self):
        cfg = self.config(extra="colour = blue\n")
        res = run_sync(self.emu, os.path.join(self.dir, "x.db"), "--config", cfg, env=self.env)
        self.assertEqual(res.returncode, 78, res.stderr)
        self.assertIn("unknown setting [dtcost] colour", res.stderr)
        cfg = self.write("inline.ini", "[account a]\nclient_secret = wrong-secret-value\n")
        res = run_sync(self.emu, os.path.join(self.dir, "x.db"), "--config", cfg, env=self.env)
        self.assertEqual(res.returncode, 78, res.stderr)
        self.assertIn("client_secret_file", res.stderr)
        self.assertNotIn("wrong-secret-value", res.stderr)


if __name__ == "__main__":
    unittest.main()
