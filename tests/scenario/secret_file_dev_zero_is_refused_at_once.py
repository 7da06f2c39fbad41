"""/dev/zero as secret file used to be read before its type was checked.
Devices are refused by where they are (under /dev) and by what they are (not
a regular file): exit 78 at once, whether named directly or by a symlink."""
import os
import unittest

from dtsecret import sync_with_secret_file
from emu import tmpdir


class DevZeroSecret(unittest.TestCase):
    def test_dev_zero_is_refused(self):
        r, secs, _ = sync_with_secret_file("/dev/zero", bound=10)
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertIn("secret file /dev/zero is under /dev", r.stderr)
        self.assertLess(secs, 5)

    def test_a_symlink_to_dev_zero_is_refused(self):
        link = os.path.join(tmpdir(), "client.secret")
        os.symlink("/dev/zero", link)
        r, secs, _ = sync_with_secret_file(link, bound=10)
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertIn(f"secret file {link} is under /dev", r.stderr)
        self.assertLess(secs, 5)


if __name__ == "__main__":
    unittest.main()
