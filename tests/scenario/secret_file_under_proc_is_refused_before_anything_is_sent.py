"""`client_secret_file=/proc/self/environ` used to pass the mode check (procfs
shows it 0400) and the whole environment was POSTed to the SSO as the client
secret. A secret file must be a regular file outside /proc, /sys and /dev,
judged where its symlinks end: dtcost refuses it with exit 78 naming the file,
and the SSO never hears from it."""
import os
import unittest

from dtsecret import sync_with_secret_file
from emu import Emulator, tmpdir


class ProcSecret(unittest.TestCase):
    def test_proc_self_environ_is_refused_and_nothing_is_sent(self):
        with Emulator("--days", "5") as emu:
            r, secs, db = sync_with_secret_file("/proc/self/environ", emu)
            self.assertEqual(r.returncode, 78, r.stderr)
            self.assertIn("secret file /proc/self/environ is under /proc", r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertEqual([l for l in emu.log_lines() if "oauth2" in l["path"]], [])
            self.assertFalse(os.path.exists(db))

    def test_a_symlink_into_proc_is_judged_by_its_target(self):
        link = os.path.join(tmpdir(), "client.secret")
        os.symlink("/proc/self/environ", link)
        r, secs, _ = sync_with_secret_file(link)
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertIn(f"secret file {link} is under /proc", r.stderr)
        self.assertNotIn("PATH=", r.stderr)


if __name__ == "__main__":
    unittest.main()
