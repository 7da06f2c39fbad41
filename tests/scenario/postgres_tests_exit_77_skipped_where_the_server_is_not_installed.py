"""Every scenario test that needs PostgreSQL, run where its server binaries
are not installed, exits 77 (ctest: skipped) with one line saying what to
install, rather than failing: the suite tells a missing server from a broken
back-end. (Inside a unittest test method, sys.exit(77) would be reported as an
error and exit 1.)"""
import glob
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
# Runs a test file as __main__ with lib/pg.py finding no server binaries.
WITHOUT_SERVER = ("import runpy, sys; import pg; pg._bindir = lambda: None; "
                  "path = sys.argv[1]; sys.argv = [path]; runpy.run_path(path, run_name='__main__')")
REASON = ("skipped: PostgreSQL server binaries not installed (apt-get install postgresql-15; "
          "scripts/install-deps.sh does)")


def needs_postgres(path):
    with open(path) as f:
        return any(line.startswith("from pg import") for line in f)


class SkippedWithoutServer(unittest.TestCase):
    def test_each_postgres_test_exits_77_saying_what_to_install(self):
        tests = [p for p in sorted(glob.glob(os.path.join(HERE, "*.py"))) if needs_postgres(p)]
        self.assertGreaterEqual(len(tests), 8, tests)
        for path in tests:
            name = os.path.basename(path)
            r = subprocess.run([sys.executable, "-c", WITHOUT_SERVER, path], capture_output=True, text=True,
                               timeout=60)
            self.assertEqual(r.returncode, 77, f"{name}: {r.stderr[-600:]}")
            self.assertEqual(r.stderr.strip().splitlines(), [REASON], name)


if __name__ == "__main__":
    unittest.main()
