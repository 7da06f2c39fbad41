"""`dtcost license import` on the emulator's export (outer ZIP, bare inner ZIP,
a folder of hour files): every hour and environment lands once, with the
signature and log kept as provenance; importing again changes nothing; an
overlapping export upserts. Hostile input (not a ZIP, truncated, an entry
climbing out with ../ or an absolute name, a zip bomb, a corrupt entry,
nesting abuse, broken JSON) is refused with the file and entry named, a
non-zero exit code and nothing written."""
import datetime
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import time
import unittest
import zipfile

from emu import DTCOST, Emulator, tmpdir

TOKEN = "dt0c01.EMUCLUSTER00000000000000.emulator-cluster-token"
H = 3600000


def run(*args, env=None):
    return subprocess.run([DTCOST, "license", *args], capture_output=True, text=True, timeout=120, env=env)


def q(db, sql, *params):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def table_dump(db):
    out = []
    for t in ("lic_env_hour", "lic_ddu_hour", "lic_host_hour"):
        out.append(q(db, f"SELECT * FROM {t} ORDER BY 1, 2, 3, 4"))
    return out


class LicenseImport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        with Emulator("--hosts", "6", "--cluster-environments", "2") as emu:
            state = emu.get_json("/emu/state", None)
            cls.cluster = state["clusters"][0]["uuid"]
            now = datetime.datetime.fromisoformat(state["now"].replace("Z", "+00:00"))
            t_end = int(now.timestamp() * 1000) // H * H
            # The 12 complete hours before the last, and an overlapping export.
            cls.t0 = t_end - 13 * H
            cls.zip = os.path.join(cls.dir, "export.zip")
            cls.zip2 = os.path.join(cls.dir, "overlap.zip")
            for path, a, b in ((cls.zip, cls.t0, cls.t0 + 12 * H), (cls.zip2, cls.t0 + 6 * H, cls.t0 + 13 * H)):
                resp = emu.get("/api/cluster/v2/license/consumption", params={"startTs": a, "endTs": b},
                               headers={"Authorization": f"Api-Token {TOKEN}"})
                assert resp.status == 200, (resp.status, resp.body[:200])
                with open(path, "wb") as f:
                    f.write(resp.body)
        with zipfile.ZipFile(cls.zip) as z:
            cls.outer_names = z.namelist()
            inner_name = next(n for n in cls.outer_names if n.endswith(".zip"))
            cls.inner_bytes = z.read(inner_name)
            cls.side = {n: z.read(n) for n in cls.outer_names if not n.endswith(".zip")}
        with zipfile.ZipFile(io.BytesIO(cls.inner_bytes)) as z:
            cls.hours = {n: z.read(n) for n in z.namelist()}

    def db(self, name=None):
        return os.path.join(self.dir, (name or self._testMethodName) + ".db")

    def expected_env_hours(self):
        n = 0
        for body in self.hours.values():
            n += len(json.loads(body)["environmentBillingEntries"])
        return n

    def test_outer_zip_imports_every_hour_and_keeps_provenance(self):
        db = self.db()
        r = run("import", self.zip, "--db", db, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        s = json.loads(r.stdout)
        self.assertEqual(s["hour_files"], 12)
        self.assertEqual(q(db, "SELECT COUNT(*) FROM lic_env_hour")[0][0], self.expected_env_hours())
        self.assertEqual(q(db, "SELECT COUNT(DISTINCT hour) FROM lic_env_hour")[0][0], 12)
        self.assertEqual(q(db, "SELECT DISTINCT cluster_uuid FROM lic_env_hour"), [(self.cluster,)])
        # The signature and log are kept with their size and hash.
        for name, body in self.side.items():
            row = q(db, "SELECT kind, size, sha256 FROM lic_file WHERE entry = ?", name)
            self.assertEqual(len(row), 1, name)
            self.assertIn(row[0][0], ("signature", "log"))
            self.assertEqual(row[0][1], len(body))
            self.assertEqual(row[0][2], hashlib.sha256(body).hexdigest())
        with open(self.zip, "rb") as f:
            archive = hashlib.sha256(f.read()).hexdigest()
        self.assertEqual(q(db, "SELECT COUNT(*) FROM lic_file WHERE archive_sha256 = ? AND kind = 'json'",
                           archive)[0][0], 12)

    def test_importing_twice_changes_nothing_and_overlap_upserts(self):
        db = self.db()
        self.assertEqual(run("import", self.zip, "--db", db, "--detail", "hosts").returncode, 0)
        before = table_dump(db)
        time.sleep(1.1)  # a later second: provenance keeps when the file was first imported
        r = run("import", self.zip, "--db", db, "--detail", "hosts", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        s = json.loads(r.stdout)
        self.assertEqual((s["inserted"], s["updated"]), (0, 0))
        self.assertEqual(table_dump(db), before)
        r = run("import", self.zip2, "--db", db, "--detail", "hosts", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(q(db, "SELECT COUNT(DISTINCT hour) FROM lic_env_hour")[0][0], 13)
        # The same data from either export: the overlap is unchanged rows.
        self.assertEqual(json.loads(r.stdout)["updated"], 0)

    def test_inner_zip_and_folder_give_the_same_figures(self):
        ref = self.db("ref")
        self.assertEqual(run("import", self.zip, "--db", ref, "--detail", "hosts").returncode, 0)
        inner = os.path.join(self.dir, "inner.zip")
        with open(inner, "wb") as f:
            f.write(self.inner_bytes)
        folder = os.path.join(self.dir, "hours")
        os.makedirs(folder, exist_ok=True)
        for n, body in self.hours.items():
            with open(os.path.join(folder, n), "wb") as f:
                f.write(body)
        for src in (inner, folder):
            db = self.db("from_" + os.path.basename(src).replace(".", "_"))
            r = run("import", src, "--db", db, "--detail", "hosts", "--threads", "3")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(table_dump(db), table_dump(ref), src)

    def test_osi_ids_round_trip_exactly(self):
        db = self.db()
        self.assertEqual(run("import", self.zip, "--db", db, "--detail", "hosts").returncode, 0)
        ids = set()
        for body in self.hours.values():
            for env in json.loads(body)["environmentBillingEntries"]:
                for h in env["hostUsages"] or []:
                    ids.add(h["osiId"])  # Python ints: exact
        stored = {i for (i,) in q(db, "SELECT DISTINCT osi_id FROM lic_host_hour")}
        self.assertEqual(stored, ids)
        self.assertTrue(any(abs(i) > 2 ** 53 for i in ids))

    def refused(self, path, *needles, code=65, args=()):
        db = self.db()
        r = run("import", path, "--db", db, *args)
        self.assertEqual(r.returncode, code, r.stdout + r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        for n in needles:
            self.assertIn(n, lines[0])
        if os.path.exists(db):
            self.assertEqual(q(db, "SELECT COUNT(*) FROM lic_env_hour")[0][0], 0)
            self.assertEqual(q(db, "SELECT COUNT(*) FROM lic_file")[0][0], 0)
        return lines[0]

    def hostile_zip(self, name, entries, compression=zipfile.ZIP_DEFLATED):
        path = os.path.join(self.dir, name)
        with zipfile.ZipFile(path, "w", compression) as z:
            # A good hour first, so a partial import would show.
            first = sorted(self.hours)[0]
            z.writestr(first, self.hours[first])
            for n, body in entries:
                z.writestr(n, body)
        return path

    def test_not_a_zip_nor_json(self):
        path = os.path.join(self.dir, "notes.txt")
        with open(path, "w") as f:
            f.write("hello\n")
        self.refused(path, path, "neither a ZIP")

    def test_truncated_archive(self):
        path = os.path.join(self.dir, "truncated.zip")
        with open(self.zip, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data[: len(data) * 2 // 3])
        self.refused(path, path, "ZIP")

    def test_entry_names_climbing_out_or_absolute(self):
        for bad in ("../../etc/cron.d/evil.json", "/tmp/abs.json", "hours/../../x.json"):
            path = self.hostile_zip("climb.zip", [(bad, b"{}")])
            self.refused(path, path, bad, "outside the archive")
        self.assertFalse(os.path.exists("/tmp/abs.json"))

    def test_zip_bomb_is_refused_before_it_fills_memory(self):
        path = os.path.join(self.dir, "bomb.zip")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
            with z.open("1641808800000.json", "w", force_zip64=True) as f:
                f.write(b'{"clusterUuid":"' )
                chunk = b" " * (1 << 20)
                for _ in range(64):  # 64 MiB of spaces, about 64 KB compressed
                    f.write(chunk)
                f.write(b'"}')
        self.assertLess(os.path.getsize(path), 4 << 20)
        line = self.refused(path, "1641808800000.json")
        self.assertTrue("zip bomb" in line or "beyond" in line, line)

    def test_entry_cap_is_configurable(self):
        pad = "".join(chr(97 + (i * 7919) % 26) for i in range(2 << 20))
        body = json.dumps({"timeFrameStart": 1641808800000, "environmentBillingEntries": [], "pad": pad})
        path = self.hostile_zip("big.zip", [("big.json", body.encode())])
        self.refused(path, "big.json", "beyond 1 MiB", "--max-entry-mb", args=("--max-entry-mb", "1"))
        r = run("import", path, "--db", self.db("big_default"))
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_corrupt_entry(self):
        good = self.hostile_zip("good.zip", [("x.json", b'{"timeFrameStart":1641808800000,"environmentBillingEntries":[]}' * 1)])
        with open(good, "rb") as f:
            data = bytearray(f.read())
        # Flip bytes inside the first entry's compressed data.
        start = data.index(b"PK\x03\x04") + 30 + len(sorted(self.hours)[0]) + 40
        for i in range(start, start + 16):
            data[i] ^= 0xFF
        path = os.path.join(self.dir, "corrupt.zip")
        with open(path, "wb") as f:
            f.write(data)
        self.refused(path, path, sorted(self.hours)[0])

    def test_nesting_abuse_and_broken_json(self):
        path = self.hostile_zip("deep.zip", [("deep.json", b'{"a":' + b"[" * 100000 + b"]" * 100000 + b"}")])
        self.refused(path, "deep.json", "nesting")
        path = self.hostile_zip("broken.json.zip", [("broken.json", b'{"timeFrameStart":1641808800000,"environ')])
        self.refused(path, "broken.json", "JSON")

    def test_missing_file_is_exit_66(self):
        self.refused(os.path.join(self.dir, "nope.zip"), "nope.zip", code=66)


if __name__ == "__main__":
    unittest.main()
