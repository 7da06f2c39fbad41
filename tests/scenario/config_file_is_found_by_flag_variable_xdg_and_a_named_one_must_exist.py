"""The config file is found as Unix tools find theirs: --config, then
DTCOST_CONFIG, then $XDG_CONFIG_HOME/dtcost/config.ini (~/.config/... by
default), then /etc/dtcost/config.ini. A file named by the flag or the
variable must exist (exit 78 naming it and where it was named); an implicit
one is skipped when missing. The [dtcost] database it names is the default
for every command, below --db and DTCOST_DB."""
import os
import subprocess
import unittest

from dtsync import sync_env
from emu import DTCOST, Emulator, tmpdir


class FindsConfig(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator("--days", "5")

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def write(self, path, text):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def export(self, cwd, *args, **env):
        return subprocess.run([DTCOST, "export", *args], cwd=cwd, env=sync_env(self.emu, **env),
                              capture_output=True, text=True, timeout=60)

    def test_xdg_config_home_then_home_is_read_when_nothing_is_named(self):
        d = tmpdir()
        xdg = os.path.join(d, "xdg")
        self.write(os.path.join(xdg, "dtcost", "config.ini"), "[dtcost]\ndatabase = from-xdg.db\n")
        r = self.export(d, XDG_CONFIG_HOME=xdg)
        self.assertEqual(r.returncode, 66, r.stderr)
        self.assertIn("database from-xdg.db does not exist", r.stderr)
        home = os.path.join(d, "home")
        self.write(os.path.join(home, ".config", "dtcost", "config.ini"), "[dtcost]\ndatabase = from-home.db\n")
        r = self.export(d, XDG_CONFIG_HOME=None, HOME=home)
        self.assertIn("database from-home.db does not exist", r.stderr)

    def test_variable_and_flag_win_over_xdg_in_that_order(self):
        d = tmpdir()
        xdg = os.path.join(d, "xdg")
        self.write(os.path.join(xdg, "dtcost", "config.ini"), "[dtcost]\ndatabase = from-xdg.db\n")
        named = self.write(os.path.join(d, "named.ini"), "[dtcost]\ndatabase = from-variable.db\n")
        r = self.export(d, XDG_CONFIG_HOME=xdg, DTCOST_CONFIG=named)
        self.assertIn("database from-variable.db does not exist", r.stderr)
        flag = self.write(os.path.join(d, "flag.ini"), "[dtcost]\ndatabase = from-flag.db\n")
        r = subprocess.run([DTCOST, "report", "--config", flag], cwd=d,
                           env=sync_env(self.emu, XDG_CONFIG_HOME=xdg, DTCOST_CONFIG=named),
                           capture_output=True, text=True, timeout=60)
        self.assertIn("database from-flag.db does not exist", r.stderr)
        r = self.export(d, "--db", "from-db-flag.db", XDG_CONFIG_HOME=xdg, DTCOST_DB="from-env.db")
        self.assertIn("database from-db-flag.db does not exist", r.stderr)
        r = self.export(d, XDG_CONFIG_HOME=xdg, DTCOST_DB="from-env.db")
        self.assertIn("database from-env.db does not exist", r.stderr)

    def test_a_named_file_that_is_missing_is_an_error(self):
        d = tmpdir()
        missing = os.path.join(d, "nope.ini")
        r = self.export(d, DTCOST_CONFIG=missing)
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertEqual(r.stderr, f"dtcost export: config {missing}: No such file or directory "
                                   "(check DTCOST_CONFIG)\n")
        r = subprocess.run([DTCOST, "sync", "--config", missing, "--db", os.path.join(d, "x.db")], cwd=d,
                           env=sync_env(self.emu), capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertIn(f"config {missing}: No such file or directory (check --config)", r.stderr)
        self.assertEqual(os.listdir(d), [])

    def test_a_missing_implicit_file_is_skipped(self):
        d = tmpdir()
        r = self.export(d, XDG_CONFIG_HOME=os.path.join(d, "empty"))
        self.assertEqual(r.returncode, 66, r.stderr)
        self.assertIn("database dtcost.db does not exist", r.stderr)

    def test_a_section_of_another_command_is_no_error_but_an_unknown_one_is(self):
        d = tmpdir()
        conf = self.write(os.path.join(d, "c.ini"), "[push hook]\nurl = https://example.invalid/x\n"
                                                   "[serve]\ninterval = 15m\n[license]\ncurrency = EUR\n"
                                                   "[allocation]\nteam.a = env-*\n[dtcost]\ndatabase = c.db\n")
        r = self.export(d, DTCOST_CONFIG=conf)
        self.assertIn("database c.db does not exist", r.stderr)
        self.write(conf, "[dtcost]\ndatabase = c.db\n\n[pushes hook]\nurl = https://example.invalid/x\n")
        r = self.export(d, DTCOST_CONFIG=conf)
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertIn(f"config {conf} line 4: unknown section [pushes hook]", r.stderr)


if __name__ == "__main__":
    unittest.main()
