"""Every hostile license export of issue 12 (each generated here, at most
~10 MB): nesting 160,000 and 1,000,000 deep, entries whose headers declare
1 GiB, 3.75 GiB, 17 MiB or 100 bytes against what they hold, a 8 MiB
string, an end record declaring 2,000,000 entries, counters near INT64_MAX, 1e400, memory out of
range, times in the years 12026, 99999 and before 1970, duplicate keys and
environments, invalid UTF-8, a FIFO and /dev/zero, is refused by `dtcost
license import` with exit 65, one line naming the file and the cause, in
under 1 s wall and 64 MiB peak RSS each, with nothing written. Under an
AddressSanitizer build the bounds are 5 s and 320 MiB (shadow memory and
the slower run), said in the failure message. CPU time (user + system) is
held to the same bound; wall time, which a loaded machine stretches, is
measured up to three times and the best run counts."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import unittest

import lichostile
from emu import DTCOST, tmpdir

with open(DTCOST, "rb") as f:
    ASAN = b"__asan_init" in f.read()
WALL_S, RSS_KIB = (5.0, 320 << 10) if ASAN else (1.0, 64 << 10)


def import_bounded(path, db):
    """Run one import; its exit code, stderr, wall seconds, CPU seconds and
    peak RSS (KiB, this child alone through wait4)."""
    env = dict(os.environ)
    if ASAN:
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=8:malloc_context_size=5"
    t0 = time.monotonic()
    p = subprocess.Popen([DTCOST, "license", "import", path, "--db", db], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, env=env)
    deadline = t0 + 30
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:  # a hang: end it, report it
            p.send_signal(signal.SIGKILL)
            pid, status, ru = os.wait4(p.pid, 0)
            break
        time.sleep(0.005)
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    return p.returncode, err, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def rows(db):
    if not os.path.exists(db):
        return 0
    con = sqlite3.connect(db)
    try:
        return sum(con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                   for t in ("lic_env_hour", "lic_ddu_hour", "lic_host_hour", "lic_file"))
    finally:
        con.close()


class HostileSet(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        gen = subprocess.run([sys.executable, lichostile.__file__, cls.dir], capture_output=True, text=True,
                             check=True)
        cls.inputs = [(n, p, tuple(m)) for n, p, m in json.loads(gen.stdout)]
        fifo = os.path.join(cls.dir, "fifo.zip")
        os.mkfifo(fifo)
        cls.inputs += [("fifo.zip", fifo, ("regular file",)), ("/dev/zero", "/dev/zero", ("regular file",))]

    def test_each_is_refused_at_once_naming_file_and_cause_with_nothing_written(self):
        for name, path, must in self.inputs:
            with self.subTest(input=name):
                self.assertLessEqual(os.path.getsize(path) if os.path.isfile(path) else 0, 11 << 20)
                db = os.path.join(self.dir, name.replace("/", "_") + ".db")
                rc, err, wall, cpu, rss = import_bounded(path, db)
                for _ in range(2):
                    if wall < WALL_S:
                        break
                    if os.path.exists(db):
                        os.unlink(db)
                    rc, err, again, cpu, rss = import_bounded(path, db)
                    wall = min(wall, again)
                self.assertEqual(rc, 65, err)
                line = err.strip()
                self.assertEqual(len(line.splitlines()), 1, line)
                self.assertIn(path, line)
                self.assertTrue(any(m in line for m in must), f"{line!r} mentions none of {must}")
                self.assertLess(cpu, WALL_S, f"{name}: {cpu:.2f} s of CPU (bound {WALL_S} s)")
                self.assertLess(wall, WALL_S, f"{name}: {wall:.2f} s (bound {WALL_S} s{', ASan' if ASAN else ''})")
                self.assertLess(rss, RSS_KIB, f"{name}: {rss >> 10} MiB peak RSS (bound {RSS_KIB >> 10} MiB"
                                f"{', ASan' if ASAN else ''})")
                self.assertEqual(rows(db), 0, "something was written")


if __name__ == "__main__":
    unittest.main()
