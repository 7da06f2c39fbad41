"""After Dynatrace books late (the emulator's clock moves by booking runs)
and sync restates days, the next push delivers exactly the changed and the
new records: a restated record comes again with the same recordKey, the
next revision, change "update" and its new cost; unchanged records are not
sent again."""
import os
import unittest

from dtpush import expected, hook_records, hook_url, latest_by_key, run_push
from dtsync import rows, run_sync
from emu import Emulator, tmpdir


class RestatedDay(unittest.TestCase):
    def test_restated_day_is_an_update(self):
        with Emulator("--days", "20") as emu:
            db = os.path.join(tmpdir(), "dtcost.db")
            self.assertEqual(run_sync(emu, db).returncode, 0)
            before = expected(db)
            url = hook_url(emu, "finops")
            first = run_push(emu, db, "webhook", url)
            self.assertEqual(first.returncode, 0, first.stderr)
            n_first = len(hook_records(emu, "finops"))
            self.assertEqual(n_first, len(before))

            emu.advance(booking_runs=3)
            self.assertEqual(run_sync(emu, db).returncode, 0)
            after = expected(db)
            changed = {k for k in before if after[k] != before[k]}
            new = set(after) - set(before)
            self.assertTrue(changed, "the emulator restated nothing")
            self.assertTrue(new)
            self.assertTrue(any(k.startswith("cost_day/") for k in changed))
            # The revision log agrees on which daily totals changed.
            revised = {"cost_day/" + k.replace("|", "/") for (k,) in
                       rows(db, "SELECT DISTINCT key FROM revision WHERE fact='cost_day'")}
            self.assertEqual(revised, {k for k in changed if k.startswith("cost_day/")})

            second = run_push(emu, db, "webhook", url)
            self.assertEqual(second.returncode, 0, second.stderr)
            records = hook_records(emu, "finops")
            later = records[n_first:]
            self.assertEqual({r["recordKey"] for r in later}, changed | new)
            self.assertEqual(len(later), len(changed | new), "a record was sent twice in the second run")
            for r in later:
                key = r["recordKey"]
                self.assertEqual(r["costMicro"], after[key])
                if key in changed:
                    self.assertEqual((r["revision"], r["change"]), (2, "update"), key)
                    self.assertEqual(r["idempotencyKey"], f"{key}@2")
                else:
                    self.assertEqual((r["revision"], r["change"]), (1, "new"), key)
            _, latest = latest_by_key(records)
            self.assertEqual({k: r["costMicro"] for k, r in latest.items()}, after)


if __name__ == "__main__":
    unittest.main()
