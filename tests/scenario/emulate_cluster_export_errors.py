"""The license export refuses what a Managed cluster refuses: 401 without a
valid Api-Token (header or api-token query), 422 on a DPS-licensed cluster,
400 for a missing, malformed, reversed, too long or future range; 429 while
an export is running (--export-busy, --export-seconds) and then 200; and with
--fault-truncate-zip the archive is cut short (still 200)."""
import io
import time
import unittest
import zipfile

from emu import CLUSTER_TOKEN, DPS_CLUSTER_TOKEN, Emulator

EXPORT = "/api/cluster/v2/license/consumption"
T0 = 1763596800000  # 2025-11-20T00:00:00Z
HOUR = 3600000
AUTH = {"Authorization": f"Api-Token {CLUSTER_TOKEN}"}


class ClusterExportErrors(unittest.TestCase):
    def status(self, emu, params, headers=AUTH, path=EXPORT):
        r = emu.get(path, headers=headers, params=params)
        if r.status != 200:
            self.assertEqual(r.json()["error"]["code"], r.status)
        return r

    def test_auth_licensing_and_range(self):
        ok = {"startTs": T0, "endTs": T0 + HOUR}
        with Emulator("--days", "30", "--export-max-days", "7") as emu:
            self.assertEqual(self.status(emu, ok, headers={}).status, 401)
            self.assertEqual(self.status(emu, ok, headers={"Authorization": "Api-Token nope"}).status, 401)
            self.assertEqual(self.status(emu, ok, headers={"Authorization": f"Bearer {CLUSTER_TOKEN}"}).status,
                             401)
            self.assertEqual(self.status(emu, {**ok, "api-token": CLUSTER_TOKEN}, headers={}).status, 200)
            r = self.status(emu, ok, headers={"Authorization": f"Api-Token {DPS_CLUSTER_TOKEN}"})
            self.assertEqual(r.status, 422)
            self.assertIn("Incompatible licensing model", r.json()["error"]["message"])
            r = self.status(emu, {"startTs": T0}, headers={"Authorization": f"Api-Token {DPS_CLUSTER_TOKEN}"},
                            path=EXPORT + "/hour")
            self.assertEqual(r.status, 422)
            for params in ({"startTs": T0}, {"endTs": T0}, {"startTs": "yesterday", "endTs": T0 + HOUR},
                           {"startTs": T0 + HOUR, "endTs": T0}, {"startTs": T0, "endTs": T0},
                           {"startTs": T0, "endTs": T0 + 8 * 24 * HOUR},
                           {"startTs": 4102444800000, "endTs": 4102444800000 + HOUR}):
                with self.subTest(params=params):
                    self.assertEqual(self.status(emu, params).status, 400)
            self.assertEqual(self.status(emu, {}, path=EXPORT + "/hour").status, 400)
            self.assertEqual(self.status(emu, {"startTs": "x"}, path=EXPORT + "/hour").status, 400)
            self.assertEqual(self.status(emu, {"startTs": T0, "endTs": T0 + 7 * 24 * HOUR}).status, 200)

    def test_429_while_an_export_is_running(self):
        ok = {"startTs": T0, "endTs": T0 + HOUR}
        with Emulator("--days", "30", "--export-busy", "2") as emu:
            seen = [self.status(emu, ok).status for _ in range(6)]
        self.assertEqual(seen, [429, 429, 200, 429, 429, 200])
        with Emulator("--days", "30", "--export-seconds", "1") as emu:
            self.assertEqual(self.status(emu, ok).status, 200)
            self.assertEqual(self.status(emu, ok).status, 429)
            time.sleep(1.2)
            self.assertEqual(self.status(emu, ok).status, 200)

    def test_truncated_zip(self):
        ok = {"startTs": T0, "endTs": T0 + 2 * HOUR}
        with Emulator("--days", "30") as clean, Emulator("--days", "30", "--fault-truncate-zip", "1") as emu:
            whole = self.status(clean, ok).body
            r = self.status(emu, ok)
        self.assertEqual(r.status, 200)
        self.assertLess(len(r.body), len(whole))
        self.assertEqual(r.body, whole[:len(r.body)])
        with self.assertRaises(zipfile.BadZipFile):
            zipfile.ZipFile(io.BytesIO(r.body))


if __name__ == "__main__":
    unittest.main()
