"""`dtcost report --html FILE` writes the page to a temporary file renamed
into place. When the page cannot be written (the directory is missing, the
file grows past the process's file-size limit as on a full disk, the name is
taken by a directory) the report exits 74 with one line naming the file, the
cause and what to check; nothing goes to standard output and no page or
temporary file is left behind."""
import os
import resource
import signal
import subprocess
import unittest

from dtsync import synced_copy
from emu import DTCOST, tmpdir


def report(db, page, limit=None):
    def cap():
        if limit is not None:  # a write past `limit` bytes fails with EFBIG instead of killing dtcost
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return subprocess.run([DTCOST, "report", "--db", db, "--html", page], capture_output=True, text=True,
                          timeout=120, preexec_fn=cap)


class HtmlWriteFailures(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        cls.db = os.path.join(cls.dir, "synced.db")
        synced_copy(cls.db, "--days", "200")  # the account of the report tests: its page is over 64 KiB

    def fails(self, page, what, hint, limit=None):
        folder = os.path.dirname(page)
        before = sorted(os.listdir(folder)) if os.path.isdir(folder) else None
        r = report(self.db, page, limit)
        self.assertEqual(r.returncode, 74, r.stderr)
        self.assertEqual(r.stdout, "")
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertTrue(lines[0].startswith(f"dtcost report: --html {page}: {what}: "), lines[0])
        self.assertTrue(lines[0].endswith(f"({hint})"), lines[0])
        if before is not None:
            self.assertEqual(sorted(os.listdir(folder)), before)  # no page, no temporary file

    def test_a_missing_directory(self):
        self.fails(os.path.join(self.dir, "missing", "report.html"), "cannot create it",
                   "check the directory exists and is writable")

    def test_a_page_past_the_file_size_limit(self):
        folder = os.path.join(self.dir, "limited")
        os.makedirs(folder)
        self.fails(os.path.join(folder, "report.html"), "writing failed", "check the disk and the directory",
                   limit=64 * 1024)

    def test_a_name_taken_by_a_directory(self):
        page = os.path.join(self.dir, "taken")
        os.makedirs(page)
        self.fails(page, "cannot move the page into place", "check the disk and the directory")
        self.assertEqual(os.listdir(page), [])

    def test_the_page_is_written_when_it_can_be(self):
        page = os.path.join(self.dir, "ok.html")
        r = report(self.db, page)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(page, encoding="utf-8") as f:
            self.assertTrue(f.read().endswith("</footer></body></html>\n"))


if __name__ == "__main__":
    unittest.main()
