"""Following symlinks must not skip the mode check: a symlink is always
shown 0777, so what counts is the file the chain ends at. A target readable
by others is refused with exit 78 and the chmod to run, before any request;
the secret never appears in the output."""
import unittest

from dtsecret import kubelet_secret_volume, sync_with_secret_file


class TargetMode(unittest.TestCase):
    def test_a_world_readable_target_behind_symlinks_is_refused(self):
        path = kubelet_secret_volume("client.secret", "s3cret-behind-links", mode=0o644)
        r, secs, _ = sync_with_secret_file(path, bound=10)
        self.assertEqual(r.returncode, 78, r.stderr)
        self.assertIn(f"secret file {path} is accessible by group or others (mode 644): run chmod 600", r.stderr)
        self.assertIn("..2026_12_01_10_00_00.123456789/client.secret", r.stderr)  # the file to chmod
        self.assertNotIn("s3cret-behind-links", r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
