"""The FOCUS export with classic license rows reads the same from PostgreSQL
as from SQLite: a database holding a synced account and an imported Managed
license export, copied to PostgreSQL with `dtcost db copy`, gives byte for
byte the same cost-and-usage file in every version, license rows included
(the license units and their money come through portable SQL)."""
import os
import subprocess
import unittest

from dtsync import run_sync
from emu import CLUSTER_TOKEN, DTCOST, Emulator, tmpdir
from pg import Postgres

# 2026-11-19T12:00Z .. 2026-11-22T00:00Z
T0, T1 = 1795089600000, 1795305600000


def run(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DT_", "DTCOST_CONFIG"))}
    return subprocess.run([DTCOST, *args], capture_output=True, text=True, timeout=240, env=env)


class LicenseRowsOnPostgres(unittest.TestCase):
    def test_every_version_is_the_same_file_from_both_back_ends(self):
        d = tmpdir()
        lite, archive, config = (os.path.join(d, n) for n in ("a.db", "export.zip", "prices.ini"))
        with open(config, "w") as f:
            f.write("[license]\ncurrency = EUR\nprice_fullstack_hu_hour = 0.08\n"
                    "price_infrastructure_hu_hour = 0.03\nprice_dem_unit = 0.0025\nprice_ddu = 0.001\n")
        with Postgres() as pg, Emulator("--hosts", "5", "--cluster-environments", "2", "--days", "40",
                                        "--environments", "2", "--capabilities", "4") as emu:
            resp = emu.get("/api/cluster/v2/license/consumption", params={"startTs": T0, "endTs": T1},
                           headers={"Authorization": f"Api-Token {CLUSTER_TOKEN}"})
            self.assertEqual(resp.status, 200)
            with open(archive, "wb") as f:
                f.write(resp.body)
            r = run_sync(emu, lite)
            self.assertEqual(r.returncode, 0, r.stderr)
            r = run("license", "import", archive, "--db", lite, "--quiet")
            self.assertEqual(r.returncode, 0, r.stderr)
            url = pg.createdb("dtcost")
            r = run("db", "copy", "--from", lite, "--to", url)
            self.assertEqual(r.returncode, 0, r.stderr)
            for v in ("1.2", "1.3", "1.4"):
                a = run("export", "--db", lite, "--format", "focus", "--focus-version", v, "--config", config)
                b = run("export", "--db", url, "--format", "focus", "--focus-version", v, "--config", config)
                self.assertEqual((a.returncode, b.returncode), (0, 0), a.stderr + b.stderr)
                self.assertGreater(a.stdout.count(",license,"), 10, v)
                self.assertEqual(b.stdout, a.stdout, f"FOCUS {v}: PostgreSQL and SQLite differ")


if __name__ == "__main__":
    unittest.main()
