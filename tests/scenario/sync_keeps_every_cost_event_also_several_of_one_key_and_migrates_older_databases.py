"""Events have no id in the API. A sync keeps every cost event Dynatrace
lists, also several of one type, environment, capability and date (three
budget monitors crossing 50 % on one day): the database holds exactly the
events the API answers for the window the sync asked, in any number of runs.
A database from before (schema 2: one event per type, environment,
capability and date) is migrated when opened, and the next sync completes
it."""
import collections
import os
import sqlite3
import subprocess
import unittest

from dtsync import EVENT_COLUMNS, events_answered, rows, run_sync
from emu import DTCOST, Emulator, tmpdir

# 300 days of one subscription reach two budget thresholds (each a day with
# three events of one key); a short history does not.
EMU = ("--days", "300", "--subscriptions", "1", "--environments", "2", "--capabilities", "4",
       "--budget-monitors", "3")


def stored(db):
    return sorted(rows(db, f"SELECT {EVENT_COLUMNS} FROM cost_event"))


class EveryEvent(unittest.TestCase):
    def setUp(self):
        self.dir = tmpdir()
        self.db, self.log = os.path.join(self.dir, "e.db"), os.path.join(self.dir, "emu.log")

    def test_several_events_of_one_key_are_all_kept_and_a_rerun_changes_nothing(self):
        with Emulator(*EMU, "--log", self.log) as emu:
            res = run_sync(emu, self.db)
            self.assertEqual(res.returncode, 0, res.stderr)
            want = events_answered(emu, self.log)
            per_key = collections.Counter(e[:4] for e in want)
            self.assertEqual(max(per_key.values()), 3, "the emulator sent no three events of one key")
            self.assertEqual(stored(self.db), want)
            # numbered 0, 1, 2 within each key, in the order of their content
            self.assertEqual(rows(self.db, """
                SELECT COUNT(*) FROM (SELECT MIN(seq) AS lo, MAX(seq) + 1 - COUNT(*) AS gap FROM cost_event
                                      GROUP BY event_type, environment_id, capability, date)
                WHERE lo != 0 OR gap != 0"""), [(0,)])
            before = rows(self.db, "SELECT * FROM cost_event ORDER BY 1, 2, 3, 4, 5, 6")
            again = run_sync(emu, self.db)
            self.assertEqual(again.returncode, 0, again.stderr)
            self.assertEqual(rows(self.db, "SELECT * FROM cost_event ORDER BY 1, 2, 3, 4, 5, 6"), before)

    def test_a_schema_2_database_keeps_its_events_and_a_backfill_completes_them(self):
        with Emulator(*EMU, "--log", self.log) as emu:
            self.assertEqual(run_sync(emu, self.db).returncode, 0)
            everything = events_answered(emu, self.log)
            # What dtcost wrote before schema 3: one event per key, no seq.
            con = sqlite3.connect(self.db)
            con.executescript("""
                CREATE TABLE old(account_uuid TEXT NOT NULL, event_type TEXT NOT NULL,
                  environment_id TEXT NOT NULL, capability TEXT NOT NULL, date TEXT NOT NULL,
                  created_at TEXT, severity TEXT, message TEXT, notification_level TEXT,
                  PRIMARY KEY(account_uuid, event_type, environment_id, capability, date)) WITHOUT ROWID;
                INSERT INTO old SELECT account_uuid, event_type, environment_id, capability, date,
                  created_at, severity, message, notification_level FROM cost_event WHERE seq = 0;
                DROP TABLE cost_event; ALTER TABLE old RENAME TO cost_event;
                UPDATE meta SET value = '2' WHERE key = 'schema_version';""")
            con.commit()
            con.close()
            old = rows(self.db, f"SELECT {EVENT_COLUMNS} FROM cost_event")
            self.assertLess(len(old), len(everything))
            # Opening migrates: every old row kept, numbered 0.
            res = subprocess.run([DTCOST, "report", "--db", self.db], capture_output=True, text=True,
                                 timeout=60)
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertEqual(rows(self.db, "SELECT value FROM meta WHERE key = 'schema_version'"), [("3",)])
            self.assertEqual([r[1] for r in rows(self.db, "PRAGMA table_info(cost_event)")][:6],
                             ["account_uuid", "event_type", "environment_id", "capability", "date", "seq"])
            self.assertEqual(rows(self.db, "SELECT DISTINCT seq FROM cost_event"), [(0,)])
            self.assertTrue(collections.Counter(old) <= collections.Counter(stored(self.db)))
            # A backfill from the first sync's first day brings the rest (docs/sync.md).
            res = run_sync(emu, self.db, "--since", "2025-02-01")
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertEqual(stored(self.db), everything)

if __name__ == "__main__":
    unittest.main()
