"""Importing an hour again after the export restated it (a pool gone, a host
gone) leaves exactly the new child rows: no stale "Other" DDU row, no stale
host row, and the host rows' milli host units sum to the env-hour's, in the
same transaction (the summary counts the removed rows)."""
import json
import os
import sqlite3
import subprocess
import unittest

from emu import DTCOST, tmpdir
from lichostile import doc, env, host, write_zip


def imp(path, db):
    r = subprocess.run([DTCOST, "license", "import", path, "--db", db, "--detail", "hosts", "--json"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


class Restatement(unittest.TestCase):
    def test_children_match_the_restated_hour(self):
        d = tmpdir()
        db = os.path.join(d, "l.db")
        first = doc([env("env-a", hosts=[host(1), host(2, mem=16 << 30)],
                         pools=(("Metrics", 1.5), ("SomethingNew", 2.25)))])
        restated = doc([env("env-a", hosts=[host(1)], pools=(("Metrics", 1.75),))])
        s1 = imp(write_zip(os.path.join(d, "first.zip"), [("h.json", json.dumps(first))]), db)
        self.assertEqual(s1.get("removed", 0), 0)
        con = sqlite3.connect(db)
        self.assertEqual(con.execute("SELECT ddu_micro FROM lic_ddu_hour WHERE pool = 'Other'").fetchall(),
                         [(2250000,)])
        self.assertEqual(con.execute("SELECT COUNT(*) FROM lic_host_hour").fetchone()[0], 2)
        con.close()

        s2 = imp(write_zip(os.path.join(d, "restated.zip"), [("h.json", json.dumps(restated))]), db)
        con = sqlite3.connect(db)
        self.assertEqual(con.execute("SELECT pool, ddu_micro FROM lic_ddu_hour WHERE ddu_micro != 0").fetchall(),
                         [("Metrics", 1750000)])
        self.assertEqual(con.execute("SELECT COUNT(*) FROM lic_ddu_hour WHERE pool = 'Other'").fetchone()[0], 0)
        self.assertEqual(con.execute("SELECT osi_id FROM lic_host_hour").fetchall(), [(1,)])
        env_mhu, host_mhu = con.execute(
            "SELECT e.fullstack_mhu + e.infra_mhu + e.paas_mhu, (SELECT SUM(mhu) FROM lic_host_hour h"
            " WHERE h.cluster_uuid = e.cluster_uuid AND h.environment_uuid = e.environment_uuid"
            " AND h.hour = e.hour) FROM lic_env_hour e").fetchone()
        self.assertEqual(env_mhu, host_mhu)
        self.assertEqual(env_mhu, 500)  # one 8 GiB Full-Stack host
        con.close()
        self.assertEqual(s2.get("removed"), 2)  # the Other pool and host 2

        # the same restated file again: nothing changes, nothing is removed
        s3 = imp(os.path.join(d, "restated.zip"), db)
        self.assertEqual((s3["inserted"], s3["updated"], s3["removed"]), (0, 0, 0))


if __name__ == "__main__":
    unittest.main()
