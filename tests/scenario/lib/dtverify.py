"""Helpers for scenario tests of `dtcost verify`: run it, and damage a copy
of a clean database the way a test names."""
import os
import shutil
import sqlite3
import subprocess

from emu import DTCOST


def verify(db, *args):
    """`dtcost verify --db DB ARGS`; returns the CompletedProcess (text)."""
    return subprocess.run([DTCOST, "verify", "--db", db, *args], capture_output=True, text=True, timeout=60)


class CorruptsCopies:
    """Mixin for a TestCase whose class has `clean` (a synced database) and
    `dir`: corrupted(*sql) copies it per test and runs (statement, *params)."""

    def corrupted(self, *sql):
        path = os.path.join(self.dir, f"{self._testMethodName}.db")
        shutil.copy(self.clean, path)
        con = sqlite3.connect(path)
        for q in sql:
            con.execute(q[0], q[1:])
        con.commit()
        con.close()
        return path
