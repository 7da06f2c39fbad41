"""An inner archive of 200,000 entries (more than libzip should hold in
memory: 63 MB for its directory alone) is imported, not refused: its central
directory is walked one record at a time, so `dtcost license import` stays
under 64 MiB peak RSS and a bounded CPU time, and every entry is there
afterwards: 1,000 hour files with an environment each (their visits summed
exactly), 199,000 hour files without one, 200,000 provenance rows. The same
archive with one local header broken halfway is refused (exit 65, the entry
named) and nothing of it is written. An AddressSanitizer build reads
30,000 entries (still past libzip's 20,000, so the same walk), with the
bounds at 320 MiB and 60 s of CPU: it checks memory safety, not size."""
import os
import sqlite3
import subprocess
import sys
import time
import unittest

from emu import DTCOST, tmpdir
from lichostile import write_zip_fast

with open(DTCOST, "rb") as f:
    ASAN = b"__asan_init" in f.read()
RSS_KIB, CPU_S = (320 << 10, 60.0) if ASAN else (64 << 10, 12.0)
N, EVERY = (30000 if ASAN else 200000), 200
H0 = 1767225600000  # 2026-01-01T00:00:00Z


def entries():
    empty = b'{"clusterUuid":"c1","environmentBillingEntries":[]}'
    for i in range(N):
        if i % EVERY:
            yield f"{i:08d}.json", empty
        else:
            body = ('{"clusterUuid":"c1","timeFrameStart":%d,"environmentBillingEntries":'
                    '[{"environmentUuid":"e1","visits":%d}]}' % (H0 + i // EVERY * 3600000, i % 7 + i // EVERY))
            yield f"{i:08d}.json", body.encode()


class TwoHundredThousandEntries(unittest.TestCase):
    def test_imports_every_entry_within_64mib(self):
        d = tmpdir()
        # written by another process: a child's peak RSS counts the parent's
        # at the exec, so this process stays small
        z = os.path.join(d, "inner.zip")
        subprocess.run([sys.executable, __file__, "write", z], check=True, timeout=120)
        db = os.path.join(d, "many.db")
        p = subprocess.Popen([DTCOST, "license", "import", z, "--db", db], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        _, status, ru = os.wait4(p.pid, 0)  # this child's own figures
        err = p.stderr.read().decode(errors="replace")
        p.stderr.close()
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, err)
        cpu = ru.ru_utime + ru.ru_stime
        self.assertLess(ru.ru_maxrss, RSS_KIB,
                        f"{ru.ru_maxrss >> 10} MiB peak RSS (bound {RSS_KIB >> 10} MiB, asan={ASAN})")
        self.assertLess(cpu, CPU_S, f"{cpu:.1f} s CPU (bound {CPU_S} s, asan={ASAN})")
        with sqlite3.connect(db) as c:
            hours, visits, first, last = c.execute(
                "SELECT COUNT(*), SUM(visits), MIN(hour), MAX(hour) FROM lic_env_hour").fetchone()
            files = c.execute("SELECT COUNT(*), COUNT(DISTINCT entry) FROM lic_file WHERE kind = 'json'").fetchone()
        self.assertEqual(hours, N // EVERY)
        self.assertEqual(visits, sum((i * EVERY) % 7 + i for i in range(N // EVERY)))
        self.assertEqual(first, "2026-01-01T00:00:00Z")
        self.assertEqual(last, time.strftime("%Y-%m-%dT%H:00:00Z",
                                             time.gmtime((H0 + (N // EVERY - 1) * 3600000) // 1000)))
        self.assertEqual(files, (N, N))

        # one local header broken halfway: refused, the entry named, nothing written
        with open(z, "r+b") as f:
            data = f.read()
            at = data.index(b"%08d.json" % (N // 2)) - 30
            self.assertEqual(data[at:at + 4], b"PK\x03\x04")
            f.seek(at)
            f.write(b"XXXX")
        broken = os.path.join(d, "broken.db")
        p = subprocess.run([DTCOST, "license", "import", z, "--db", broken], capture_output=True, text=True,
                           timeout=300)
        self.assertEqual(p.returncode, 65, p.stderr)
        self.assertIn(f"entry {N // 2:08d}.json", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        with sqlite3.connect(broken) as c:
            self.assertEqual(c.execute("SELECT (SELECT COUNT(*) FROM lic_env_hour) + "
                                       "(SELECT COUNT(*) FROM lic_file)").fetchone()[0], 0)


if __name__ == "__main__":
    if sys.argv[1:2] == ["write"]:
        write_zip_fast(sys.argv[2], entries())
    else:
        unittest.main()
