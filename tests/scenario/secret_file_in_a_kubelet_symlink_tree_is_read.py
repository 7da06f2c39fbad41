"""A Kubernetes Secret volume mounts each key as a symlink chain
(client.secret -> ..data/client.secret, ..data -> ..2026_..._timestamp/).
O_NOFOLLOW used to refuse it, so docs/deploy/kubernetes-cronjob.yaml could
not start (exit 78). The chain is followed and the file it ends at is
judged: the sync runs and stores the account's data, and a webhook secret in
the same layout, named in the config file, signs a push."""
import os
import unittest

from dtpush import hook_read, hook_url, push_env, run_push
from dtsecret import kubelet_secret_volume, sync_with_secret_file
from dtsync import rows
from emu import CLIENT_SECRET, Emulator, tmpdir


class KubeletSecret(unittest.TestCase):
    def test_sync_and_push_read_secrets_through_the_symlinks(self):
        path = kubelet_secret_volume("client.secret", CLIENT_SECRET)
        self.assertTrue(os.path.islink(path))
        with Emulator("--days", "5") as emu:
            r, secs, db = sync_with_secret_file(path, emu, bound=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertGreater(rows(db, "SELECT COUNT(*) FROM subscription")[0][0], 0)
            self.assertNotIn(CLIENT_SECRET, r.stdout + r.stderr)

            key = kubelet_secret_volume("webhook.secret", "wh-secret-kube-1")
            conf = os.path.join(tmpdir(), "config.ini")
            with open(conf, "w") as f:
                f.write(f"[push kube]\nurl = {hook_url(emu, 'kube')}\nsecret_file = {key}\n")
            res = run_push(emu, db, "--config", conf, env=push_env(emu))
            self.assertEqual(res.returncode, 0, res.stderr)
            deliveries = hook_read(emu, "kube")["deliveries"]
            self.assertGreater(len(deliveries), 0)
            self.assertTrue(all("x-dtcost-signature" in d["headers"] for d in deliveries))


if __name__ == "__main__":
    unittest.main()
