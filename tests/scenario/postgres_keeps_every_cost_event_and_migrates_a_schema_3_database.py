"""On PostgreSQL too, a sync keeps every cost event the API lists, also three
of one type, environment, capability and date; a schema 3 database (one
event per key) is migrated when opened, its rows kept and its table laid out
as a new one's, and a backfill completes its events."""
import collections
import os
import subprocess
import unittest

from dtsync import EVENT_COLUMNS, events_answered, run_sync
from emu import DTCOST, Emulator, tmpdir
from pg import Postgres

EMU = ("--days", "300", "--subscriptions", "1", "--environments", "2", "--capabilities", "4",
       "--budget-monitors", "3")


class EveryEventOnPostgres(unittest.TestCase):
    def test_events_are_all_kept_and_an_older_table_is_migrated(self):
        log = os.path.join(tmpdir(), "emu.log")
        with Postgres() as pg, Emulator(*EMU, "--log", log) as emu:
            db = pg.createdb("events")

            def stored():
                return sorted(tuple(r) for r in pg.sql("events", f"SELECT {EVENT_COLUMNS} FROM cost_event"))

            res = run_sync(emu, db)
            self.assertEqual(res.returncode, 0, res.stderr)
            everything = events_answered(emu, log)
            self.assertEqual(max(collections.Counter(e[:4] for e in everything).values()), 3)
            self.assertEqual(stored(), everything)
            columns = pg.sql("events", "SELECT column_name, data_type, collation_name FROM"
                                       " information_schema.columns WHERE table_name = 'cost_event'"
                                       " ORDER BY ordinal_position")
            # What dtcost wrote before schema 4: one event per key, no seq.
            pg.sql("events", """
                CREATE TABLE old(account_uuid TEXT COLLATE "C" NOT NULL, event_type TEXT COLLATE "C" NOT NULL,
                  environment_id TEXT COLLATE "C" NOT NULL, capability TEXT COLLATE "C" NOT NULL,
                  date TEXT COLLATE "C" NOT NULL, created_at TEXT COLLATE "C", severity TEXT COLLATE "C",
                  message TEXT COLLATE "C", notification_level TEXT COLLATE "C",
                  CONSTRAINT old_pkey PRIMARY KEY(account_uuid, event_type, environment_id, capability, date));
                INSERT INTO old SELECT account_uuid, event_type, environment_id, capability, date,
                  created_at, severity, message, notification_level FROM cost_event WHERE seq = 0;
                DROP TABLE cost_event; ALTER TABLE old RENAME TO cost_event;
                ALTER TABLE cost_event RENAME CONSTRAINT old_pkey TO cost_event_pkey;
                UPDATE meta SET value = '3' WHERE key = 'schema_version'""")
            old = sorted(tuple(r) for r in pg.sql("events", f"SELECT {EVENT_COLUMNS} FROM cost_event"))
            self.assertLess(len(old), len(everything))

            res = subprocess.run([DTCOST, "report", "--db", db], capture_output=True, text=True, timeout=60)
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertEqual(pg.sql("events", "SELECT value FROM meta WHERE key = 'schema_version'"), [["4"]])
            self.assertEqual(pg.sql("events", "SELECT column_name, data_type, collation_name FROM"
                                              " information_schema.columns WHERE table_name = 'cost_event'"
                                              " ORDER BY ordinal_position"), columns)
            self.assertEqual(pg.sql("events", "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                                              " WHERE conname = 'cost_event_pkey'"),
                             [["PRIMARY KEY (account_uuid, event_type, environment_id, capability, date, seq)"]])
            self.assertEqual(pg.sql("events", "SELECT DISTINCT seq FROM cost_event"), [["0"]])
            self.assertEqual(stored(), old)

            res = run_sync(emu, db, "--since", "2025-02-01")
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertEqual(stored(), everything)


if __name__ == "__main__":
    unittest.main()
