"""`dtcost export --out FILE` writes on a thread of its own through a ring
of 1 MiB blocks: the file holds exactly the bytes the same export writes to
stdout (several blocks round the ring, plain and gzip), and when the disk
refuses a write (here: a file size limit, EFBIG) the export exits non-zero
with one line naming the file and the cause, and leaves no file behind:
neither FILE, nor its temporary, nor the ContractCommitment and metadata
files beside it."""
import gzip
import os
import resource
import signal
import subprocess
import unittest

from dtsync import synced_copy
from emu import DTCOST, tmpdir


def export(db, *args, limit=None):
    def cap():  # a file size limit makes write() fail with EFBIG instead of killing the process
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    if "focus" in args:  # rows unsplit: the output path is the claim, and a split file is 25 times larger
        args = (*args, "--focus-split", "none")
    return subprocess.run([DTCOST, "export", "--db", db, *args], capture_output=True, timeout=120,
                          preexec_fn=cap if limit else None)


class ExportOut(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        cls.db = os.path.join(cls.dir, "x.db")
        # 40 days of six environments: FOCUS rows of over 4 MiB, several blocks round the ring
        synced_copy(cls.db, "--days", "40")  # set-up, not the claim: the helper binary syncs it

    def test_the_file_is_the_stdout_bytes(self):
        for v in ("1.2", "1.4"):
            std = export(self.db, "--format", "focus", "--focus-version", v)
            self.assertEqual(std.returncode, 0, std.stderr)
            self.assertGreater(len(std.stdout), 3 << 20, "several blocks round the ring")
            for name in (f"f{v}.csv", f"f{v}.csv.gz"):
                out = os.path.join(self.dir, name)
                r = export(self.db, "--format", "focus", "--focus-version", v, "--out", out)
                self.assertEqual(r.returncode, 0, r.stderr)
                with open(out, "rb") as f:
                    got = f.read()
                self.assertEqual(gzip.decompress(got) if name.endswith(".gz") else got, std.stdout,
                                 f"{name}: not the bytes of the export to stdout")
        plain = export(self.db, "--format", "csv")
        r = export(self.db, "--format", "csv", "--out", os.path.join(self.dir, "plain.csv"))
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.dir, "plain.csv"), "rb") as f:
            self.assertEqual(f.read(), plain.stdout)

    def test_a_refused_write_fails_with_one_line_and_leaves_nothing(self):
        for name in ("big.csv", "big.csv.gz"):
            d = os.path.join(self.dir, name + ".d")
            os.mkdir(d)
            out = os.path.join(d, name)
            r = export(self.db, "--format", "focus", "--focus-version", "1.4", "--out", out,
                       limit=200000)
            self.assertNotEqual(r.returncode, 0, f"{name}: a refused write must fail the export")
            err = r.stderr.decode()
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertIn(f"writing {out} failed", err)
            self.assertIn(os.strerror(27), err)  # EFBIG: File too large
            self.assertEqual(os.listdir(d), [], f"{name}: files left behind")


if __name__ == "__main__":
    unittest.main()
