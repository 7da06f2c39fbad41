"""On PostgreSQL too, a webhook destination kept under its URL verbatim
(token and all, as an older dtcost wrote it) is moved to the redacted key by
the next push to that URL, in one transaction: nothing already delivered is
sent again, and no live row holds the token."""
import re
import unittest

from dtpush import hook_records, hook_url, run_push
from dtsync import run_sync
from emu import Emulator
from pg import Postgres

TOKEN = "XoXbS3CRET0042tok"


class MigrateOnPostgres(unittest.TestCase):
    def test_legacy_key_is_moved_and_nothing_is_resent(self):
        with Postgres() as pg, Emulator("--days", "6") as emu:
            db = pg.createdb("legacy")
            self.assertEqual(run_sync(emu, db).returncode, 0)
            url = hook_url(emu, TOKEN)
            first = run_push(emu, db, "webhook", url)
            self.assertEqual(first.returncode, 0, first.stderr)
            sent = len(hook_records(emu, TOKEN))
            self.assertGreater(sent, 0)
            [[key]] = pg.sql("legacy", "SELECT DISTINCT dest FROM outbox_batch")
            self.assertTrue(re.fullmatch(r"webhook http://127\.0\.0\.1:\d+/emu/webhook/\*\*\* #[0-9a-f]{16}", key), key)
            records = pg.sql("legacy", "SELECT COUNT(*) FROM push_record")
            for table in ("outbox_batch", "push_record"):  # what dtcost 0.1 wrote: the URL itself
                pg.sql("legacy", f"UPDATE {table} SET dest = 'webhook {url}'")

            again = run_push(emu, db, "webhook", url)
            self.assertEqual(again.returncode, 0, again.stderr)
            self.assertEqual(len(hook_records(emu, TOKEN)), sent, "records were sent again")
            self.assertEqual(pg.sql("legacy", "SELECT dest FROM outbox_batch UNION SELECT dest FROM push_record"),
                             [[key]])
            self.assertEqual(pg.sql("legacy", "SELECT COUNT(*) FROM push_record"), records)


if __name__ == "__main__":
    unittest.main()
