"""A database written by an older dtcost keeps a webhook destination under
its URL verbatim, path token and all. The next push to that URL moves the
outbox and delivery records to the redacted key (shown form + digest):
nothing already delivered is sent again, and no row holds the token any
more (free pages an older dtcost left may, until `VACUUM`: docs/push.md)."""
import os
import sqlite3
import unittest

from dtpush import hook_records, hook_url, run_push
from dtsync import run_sync
from emu import Emulator, tmpdir

TOKEN = "XoXbS3CRET0042tok"


class Migrate(unittest.TestCase):
    def test_legacy_key_is_moved_and_nothing_is_resent(self):
        with Emulator("--days", "6") as emu:
            db = os.path.join(tmpdir(), "dtcost.db")
            self.assertEqual(run_sync(emu, db).returncode, 0)
            url = hook_url(emu, TOKEN)
            first = run_push(emu, db, "webhook", url)
            self.assertEqual(first.returncode, 0, first.stderr)
            sent = len(hook_records(emu, TOKEN))
            self.assertGreater(sent, 0)
            with sqlite3.connect(db) as con:
                (key,) = con.execute("SELECT DISTINCT dest FROM outbox_batch").fetchone()
                self.assertNotIn(TOKEN, key)
                self.assertRegex(key, r"^webhook http://127\.0\.0\.1:\d+/emu/webhook/\*\*\* #[0-9a-f]{16}$")
                # what dtcost 0.1 wrote: the URL itself
                for table in ("outbox_batch", "push_record"):
                    con.execute(f"UPDATE {table} SET dest = ?", (f"webhook {url}",))
            again = run_push(emu, db, "webhook", url)
            self.assertEqual(again.returncode, 0, again.stderr)
            self.assertEqual(len(hook_records(emu, TOKEN)), sent, "records were sent again")
            with sqlite3.connect(db) as con:
                keys = {k for (k,) in con.execute("SELECT dest FROM outbox_batch UNION SELECT dest FROM push_record")}
                live = con.execute("SELECT COUNT(*) FROM outbox_batch WHERE dest LIKE ? OR last_error LIKE ?",
                                   (f"%{TOKEN}%", f"%{TOKEN}%")).fetchone()[0]
            self.assertEqual(keys, {key})
            self.assertEqual(live, 0)


if __name__ == "__main__":
    unittest.main()
