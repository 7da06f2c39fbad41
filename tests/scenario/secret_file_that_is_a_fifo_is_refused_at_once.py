"""A FIFO given as secret file used to block dtcost forever (opened and read
before its type was checked). It is opened without blocking and refused on
its type before a byte is read: exit 78 within a second or two, no writer
needed, also behind a symlink."""
import os
import unittest

from dtsecret import sync_with_secret_file
from emu import tmpdir


class FifoSecret(unittest.TestCase):
    def test_fifo_is_refused_without_waiting_for_a_writer(self):
        d = tmpdir()
        fifo = os.path.join(d, "client.secret")
        os.mkfifo(fifo, 0o600)
        r, secs, _ = sync_with_secret_file(fifo, bound=10)
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertIn(f"secret file {fifo} is not a regular file", r.stderr)
        self.assertLess(secs, 5)
        link = os.path.join(d, "link.secret")
        os.symlink(fifo, link)
        r, secs, _ = sync_with_secret_file(link, bound=10)
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertIn("is not a regular file", r.stderr)
        self.assertLess(secs, 5)


if __name__ == "__main__":
    unittest.main()
