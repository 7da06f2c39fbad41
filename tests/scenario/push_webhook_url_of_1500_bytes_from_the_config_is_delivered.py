"""INI lines over ~199 bytes used to be refused (inih's fixed line buffer),
so a long webhook URL (Slack, Teams, signed URLs) could not be configured.
Lines up to 64 KiB are read: a [push NAME] section with a 1,500-byte URL
delivers to exactly that URL, and the key on the line after it still counts."""
import os
import unittest

from dtpush import hook_read, hook_url, push_env, run_push
from dtsync import run_sync
from emu import Emulator, tmpdir


class LongUrl(unittest.TestCase):
    def test_a_1500_byte_url_is_used_whole(self):
        with Emulator("--days", "5") as emu:
            d = tmpdir()
            db = os.path.join(d, "dtcost.db")
            self.assertEqual(run_sync(emu, db).returncode, 0)
            base = hook_url(emu, "long") + "?sig="
            url = base + "s" * (1500 - len(base))
            self.assertEqual(len(url), 1500)
            conf = os.path.join(d, "config.ini")
            with open(conf, "w") as f:
                f.write(f"[push long]\nurl = {url}\nbatch_records = 50\n")
            res = run_push(emu, db, "--config", conf, env=push_env(emu))
            self.assertEqual(res.returncode, 0, res.stderr)
            posts = [l for l in emu.log_lines() if l["method"] == "POST" and l["path"] == "/emu/webhook/long"]
            self.assertGreater(len(posts), 1)
            self.assertTrue(all(p["query"] == url.split("?", 1)[1] for p in posts))
            records = sum(len(dl["body"].splitlines()) for dl in hook_read(emu, "long")["deliveries"])
            self.assertLessEqual(max(len(dl["body"].splitlines()) for dl in hook_read(emu, "long")["deliveries"]),
                                 50)
            self.assertGreater(records, 0)


if __name__ == "__main__":
    unittest.main()
