"""`dtcost export --format focus --focus-split FIELDS` narrows the split of
records over Dynatrace's cost allocation, for accounts where cost centre x
product would make the file too large: split by cost centres only, the file
is byte for byte the one exported from the same database without its
product allocations (and the other way round); with `none`, the one
without any allocation. [export] focus_split in the config does the same,
and a bad value is a usage error naming the option."""
import os
import shutil
import sqlite3
import subprocess
import unittest

from dtsync import run_sync
from emu import DTCOST, Emulator, tmpdir


def export(db, *args):
    r = subprocess.run([DTCOST, "export", "--db", db, "--format", "focus", *args],
                       capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def without(db, where, name):
    """A copy of db with the cost allocation rows matching where deleted."""
    copy = os.path.join(os.path.dirname(db), name)
    shutil.copy(db, copy)
    con = sqlite3.connect(copy)
    try:
        con.execute(f"DELETE FROM cost_allocation WHERE {where}")
        con.commit()
    finally:
        con.close()
    return copy


class FocusSplit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        cls.db = os.path.join(cls.dir, "alloc.db")
        with Emulator("--days", "20", "--environments", "2") as emu:
            res = run_sync(emu, cls.db)
            assert res.returncode == 0, res.stderr
        con = sqlite3.connect(cls.db)
        fields = {f for (f,) in con.execute("SELECT DISTINCT field FROM cost_allocation")}
        con.close()
        assert fields == {"COSTCENTER", "PRODUCT"}, fields

    def test_one_field_is_the_file_without_the_others_allocation(self):
        for v in ("1.2", "1.4"):
            both = export(self.db, "--focus-version", v)
            for split, drop in (("costcenter", "field = 'PRODUCT'"), ("product", "field = 'COSTCENTER'"),
                                ("none", "1 = 1")):
                got = export(self.db, "--focus-version", v, "--focus-split", split)
                want = export(without(self.db, drop, f"no-{split}.db"), "--focus-version", v)
                self.assertTrue(got == want, f"{v} --focus-split {split}: not the file without {drop}")
                self.assertLess(len(got), len(both), f"{v} --focus-split {split} split no less")
            self.assertEqual(export(self.db, "--focus-version", v, "--focus-split", "product,costcenter"), both)

    def test_config_sets_it_and_a_bad_value_is_a_usage_error(self):
        cfg = os.path.join(self.dir, "config.ini")
        with open(cfg, "w") as f:
            f.write("[export]\nfocus_split = none\n")
        self.assertEqual(export(self.db, "--config", cfg), export(self.db, "--focus-split", "none"))
        r = subprocess.run([DTCOST, "export", "--db", self.db, "--format", "focus", "--focus-split", "team"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("--focus-split takes", r.stderr)
        with open(cfg, "w") as f:
            f.write("[export]\nfocus_split = team\n")
        r = subprocess.run([DTCOST, "export", "--db", self.db, "--format", "focus", "--config", cfg],
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("focus_split", r.stderr)


if __name__ == "__main__":
    unittest.main()
