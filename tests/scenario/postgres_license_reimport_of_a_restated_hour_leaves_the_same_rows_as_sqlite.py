"""`dtcost license import` of an hour, then of the same hour restated (a DDU
pool gone, a host gone), into PostgreSQL leaves exactly the rows it leaves in
SQLite: the restated hour's stale children pruned in the import's
transaction, the same summary counts, the same revisions."""
import json
import os
import sqlite3
import subprocess
import unittest

from dtsync import dump
from emu import DTCOST, tmpdir
from lichostile import doc, env, host, write_zip
from pg import Postgres

LIC_TABLES = ("lic_env_hour", "lic_ddu_hour", "lic_host_hour")


def imp(path, db):
    r = subprocess.run([DTCOST, "license", "import", path, "--db", db, "--detail", "hosts", "--json"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    return {k: s.get(k, 0) for k in ("inserted", "updated", "removed")}


def revisions(path):
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT fact, key, old_value, new_value FROM revision ORDER BY fact, key, id").fetchall()
    finally:
        con.close()


class RestatedHourOnPostgres(unittest.TestCase):
    def test_same_rows_as_sqlite(self):
        d = tmpdir()
        first = doc([env("env-a", hosts=[host(1), host(2, mem=16 << 30)],
                         pools=(("Metrics", 1.5), ("SomethingNew", 2.25)))])
        restated = doc([env("env-a", hosts=[host(1)], pools=(("Metrics", 1.75),))])
        zips = [write_zip(os.path.join(d, "first.zip"), [("h.json", json.dumps(first))]),
                write_zip(os.path.join(d, "restated.zip"), [("h.json", json.dumps(restated))])]
        lite = os.path.join(d, "l.db")
        with Postgres() as pg:
            url = pg.createdb("lic")
            for z in zips:
                self.assertEqual(imp(z, url), imp(z, lite))
            self.assertEqual(pg.sql("lic", "SELECT COUNT(*) FROM lic_host_hour"), [["1"]])
            self.assertEqual(pg.sql("lic", "SELECT pool FROM lic_ddu_hour WHERE ddu_micro <> 0"), [["Metrics"]])
            # once more: nothing changes, nothing is removed
            self.assertEqual(imp(zips[1], url), {"inserted": 0, "updated": 0, "removed": 0})

            back = os.path.join(d, "back.db")
            r = subprocess.run([DTCOST, "db", "copy", "--from", url, "--to", back], capture_output=True,
                               text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(dump(back, LIC_TABLES), dump(lite, LIC_TABLES))
        self.assertEqual(revisions(back), revisions(lite))


if __name__ == "__main__":
    unittest.main()
