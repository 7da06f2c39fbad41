"""`dtcost license fetch` against the emulated Managed cluster: chunks of the
range are downloaded (429 "export running" waited out, then 200), imported,
and a rerun reuses the complete archives without a request; a cluster that
stays busy ends with exit 75 within the wait bound; a DPS cluster (422)
points to `dtcost sync`; a refused range (400) and a refused token (401)
say so in one line. The token never appears in output or the database."""
import datetime
import json
import os
import sqlite3
import subprocess
import time
import unittest

from emu import DTCOST, Emulator, tmpdir

TOKEN = "dt0c01.EMUCLUSTER00000000000000.emulator-cluster-token"
DPS_TOKEN = "dt0c01.EMUCLUSTER01000000000000.emulator-cluster-token"


def fetch(emu, d, *args, token=TOKEN):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DT_", "DTCOST_"))}
    env["DT_CLUSTER_TOKEN"] = token
    return subprocess.run([DTCOST, "license", "fetch", "--cluster", emu.base, "--out", os.path.join(d, "archives"),
                           "--db", os.path.join(d, "l.db"), "--retry-base-ms", "50", *args],
                          capture_output=True, text=True, timeout=120, env=env)


def hours_back(emu, n):
    now = datetime.datetime.fromisoformat(emu.get_json("/emu/state", None)["now"].replace("Z", "+00:00"))
    end = now.replace(minute=0, second=0, microsecond=0)
    return (end - datetime.timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M:%SZ"), end.strftime("%Y-%m-%dT%H:%M:%SZ")


class LicenseFetch(unittest.TestCase):
    def test_busy_then_ok_imports_and_a_rerun_reuses_the_archives(self):
        d = tmpdir()
        with Emulator("--export-busy", "2", "--hosts", "4", "--cluster-environments", "2") as emu:
            a, b = hours_back(emu, 30)
            r = fetch(emu, d, "--from", a, "--to", b, "--chunk-hours", "12", "--json")
            self.assertEqual(r.returncode, 0, r.stderr)
            s = json.loads(r.stdout)
            self.assertEqual((s["chunks"], s["downloaded"], s["reused"]), (3, 3, 0))
            self.assertEqual(s["busy_waits"], 6)  # two 429s before each of the three exports
            self.assertEqual(s["hour_files"], 30)
            exports = [l for l in emu.log_lines() if l["path"] == "/api/cluster/v2/license/consumption"]
            self.assertEqual([l["status"] for l in exports].count(200), 3)
            self.assertEqual([l["status"] for l in exports].count(429), 6)
            con = sqlite3.connect(os.path.join(d, "l.db"))
            self.assertEqual(con.execute("SELECT COUNT(DISTINCT hour) FROM lic_env_hour").fetchone()[0], 30)
            self.assertEqual(con.execute("SELECT COUNT(*) FROM lic_env_hour").fetchone()[0], 60)
            con.close()
            files = sorted(os.listdir(os.path.join(d, "archives")))
            self.assertEqual(len(files), 3)
            self.assertFalse([f for f in files if f.endswith(".part")])
            # Again: every chunk is on disk, nothing is requested, nothing changes.
            n = len(emu.log_lines())
            r = fetch(emu, d, "--from", a, "--to", b, "--chunk-hours", "12", "--json")
            self.assertEqual(r.returncode, 0, r.stderr)
            s = json.loads(r.stdout)
            self.assertEqual((s["downloaded"], s["reused"], s["requests"]), (0, 3, 0))
            self.assertEqual((s["inserted"], s["updated"]), (0, 0))
            self.assertEqual(len(emu.log_lines()), n)
            for out in (r.stdout, r.stderr):
                self.assertNotIn("emulator-cluster-token", out)
        with open(os.path.join(d, "l.db"), "rb") as f:
            self.assertNotIn(b"emulator-cluster-token", f.read())

    def test_a_cluster_that_stays_busy_ends_with_exit_75_in_bounded_time(self):
        d = tmpdir()
        with Emulator("--export-busy", "1000") as emu:
            a, b = hours_back(emu, 3)
            t = time.monotonic()
            r = fetch(emu, d, "--from", a, "--to", b, "--max-wait", "1")
            self.assertLess(time.monotonic() - t, 10)
            self.assertEqual(r.returncode, 75, r.stderr)
            self.assertIn("429", r.stderr)
            self.assertIn("run again", r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)

    def test_dps_cluster_points_to_sync(self):
        d = tmpdir()
        with Emulator() as emu:
            a, b = hours_back(emu, 3)
            r = fetch(emu, d, "--from", a, "--to", b, token=DPS_TOKEN)
            self.assertEqual(r.returncode, 78, r.stderr)
            self.assertIn("DPS licensing (422", r.stderr)
            self.assertIn("dtcost sync", r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)

    def test_refused_range_and_token(self):
        d = tmpdir()
        with Emulator("--export-max-days", "1") as emu:
            a, b = hours_back(emu, 72)
            r = fetch(emu, d, "--from", a, "--to", b, "--chunk-hours", "48")
            self.assertEqual(r.returncode, 78, r.stderr)
            self.assertIn("refused the range", r.stderr)
            self.assertIn("--chunk-hours", r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            r = fetch(emu, d, "--from", a, "--to", b, token="dt0c01.WRONG.token-that-is-wrong")
            self.assertEqual(r.returncode, 77, r.stderr)
            self.assertIn("ServiceProviderAPI", r.stderr)
            self.assertNotIn("token-that-is-wrong", r.stderr)
            self.assertFalse([f for f in os.listdir(os.path.join(d, "archives")) if f.endswith((".zip", ".part"))])


if __name__ == "__main__":
    unittest.main()
