"""An hour file's strings are read with their JSON escapes decoded whatever
the file's size: the same document as a small entry (inflated whole and
tokenized at once) and padded past 16 MiB (streamed) stores the same
environment and cluster ids, "env-\\u00e9" as "env-é"."""
import json
import os
import sqlite3
import subprocess
import unittest

from emu import DTCOST, tmpdir
from lichostile import doc, env, write_zip


def imported_ids(path, db):
    r = subprocess.run([DTCOST, "license", "import", path, "--db", db], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT cluster_uuid, environment_uuid, visits FROM lic_env_hour").fetchall()
    finally:
        con.close()


class Escapes(unittest.TestCase):
    def test_small_and_streamed_files_store_the_same_decoded_ids(self):
        d = tmpdir()
        body = json.dumps(doc([env("env-\u00e9\u0041")], clusterUuid="c/1"), ensure_ascii=True)
        body = body.replace("c/1", "c\\/1")
        self.assertIn("\\u00e9", body)
        small = write_zip(os.path.join(d, "small.zip"), [("h.json", body)])
        # past the one-shot bound with 2 MiB strings of pseudo-random hex in an unread field
        pad = [os.urandom(1 << 20).hex() for _ in range(9)]
        big_body = body[:-1] + ', "padding": ' + json.dumps(pad) + "}"
        self.assertGreater(len(big_body), 16 << 20)
        big = write_zip(os.path.join(d, "big.zip"), [("h.json", big_body)])
        want = [("c/1", "env-\u00e9A", 10)]
        self.assertEqual(imported_ids(small, os.path.join(d, "small.db")), want)
        self.assertEqual(imported_ids(big, os.path.join(d, "big.db")), want)


if __name__ == "__main__":
    unittest.main()
