"""Against PostgreSQL, the second connection that stores cost-allocation
walks (sync.c's writer): when its batch fails, the sync exits 74 with one
line naming the failure and leaves only whole chunks (each allocation chunk's
rows exactly as a clean run has them, inside the coverage committed with
them, nothing outside); when the sync is killed with SIGKILL while that
writer is mid-batch (a COPY: a first sync's batches are new rows), the same
holds. Either way the next run completes to
the data of one uninterrupted run. A role allowed one connection syncs on
that one, with a warning, to the same data."""
import os
import signal
import subprocess
import time
import unittest

from dtsync import FACT_TABLES, dump, rows, run_sync, sync_env
from emu import DTCOST, Emulator, tmpdir
from pg import Postgres, to_sqlite

FLAGS = ("--days", "60", "--environments", "4", "--capabilities", "6")

# True in the second dtcost connection to this database (the writer; the
# first, older one holds the run and stores the other walks).
SECOND = ("EXISTS (SELECT 1 FROM pg_stat_activity a, pg_stat_activity me WHERE me.pid = pg_backend_pid()"
          " AND a.datname = current_database() AND a.application_name = 'dtcost' AND a.pid <> me.pid"
          " AND a.backend_start < me.backend_start)")


def create_tables(url):
    """dtcost creates its tables when it opens the database."""
    subprocess.run([DTCOST, "verify", "--db", url], capture_output=True, timeout=60)


def trigger(pg, name, body):
    pg.sql(name, "CREATE FUNCTION injected() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                 f"IF {SECOND} THEN {body} END IF; RETURN NEW; END $$")
    pg.sql(name, "CREATE TRIGGER injected BEFORE INSERT ON cost_allocation FOR EACH ROW EXECUTE FUNCTION injected()")


def drop_trigger(pg, name):
    pg.sql(name, "DROP TRIGGER injected ON cost_allocation")


class AllocationWriter(unittest.TestCase):
    def assert_whole_chunks(self, pg, name, clean):
        """Every allocation row lies in a committed range of its scope's
        coverage, and every such range holds exactly the clean run's rows."""
        outside = pg.sql(name, "SELECT COUNT(*) FROM cost_allocation a WHERE NOT EXISTS (SELECT 1 FROM coverage c"
                               " WHERE c.scope = 'alloc:' || a.subscription_uuid || ':' || a.environment_id || ':'"
                               " || a.field AND a.day BETWEEN c.first_day AND c.last_day)")
        self.assertEqual(outside, [["0"]], "allocation rows outside the coverage committed with them")
        ranges = pg.sql(name, "SELECT scope, first_day, last_day FROM coverage WHERE scope LIKE 'alloc:%'")
        for scope, first, last in ranges:
            _, sub, env, field = scope.split(":")
            q = ("SELECT alloc_key, capability_key, day, cost_micro FROM cost_allocation WHERE subscription_uuid = '{}'"
                 " AND environment_id = '{}' AND field = '{}' AND day BETWEEN '{}' AND '{}'"
                 " ORDER BY alloc_key, capability_key, day").format(sub, env, field, first, last)
            got = [tuple(r) for r in pg.sql(name, q)]
            want = [tuple(str(c) for c in r) for r in rows(clean, q)]
            self.assertTrue(got == want, f"{scope} {first}..{last}: {len(got)} rows, a clean run has {len(want)}")

    def test_writer_failure_and_kill_leave_whole_chunks_and_the_rerun_completes(self):
        d = tmpdir()
        with Postgres() as pg, Emulator(*FLAGS) as emu:
            clean = os.path.join(d, "clean.db")
            self.assertEqual(run_sync(emu, clean).returncode, 0)
            want = dump(clean, FACT_TABLES)

            # No second connection allowed: one writer, a warning, the same data.
            pg.sql("postgres", "CREATE ROLE one LOGIN CONNECTION LIMIT 1")
            pg.sql("postgres", "CREATE DATABASE one OWNER one")
            url = f"postgresql:///one?host={pg.dir}&user=one"
            r = run_sync(emu, url)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("too many connections for role", r.stderr)
            self.assertIn("storing on one connection (slower)", r.stderr)
            self.assertTrue(dump(to_sqlite(url, os.path.join(d, "one.db")), FACT_TABLES) == want,
                            "synced on one connection, the data differs")

            # The writer's batch fails: one line, exit 74, whole chunks.
            url = pg.createdb("failing")
            create_tables(url)
            trigger(pg, "failing", "RAISE EXCEPTION 'injected failure in the second writer';")
            r = run_sync(emu, url)
            self.assertEqual(r.returncode, 74, r.stderr)
            lines = [l for l in r.stderr.strip().splitlines() if "warning" not in l]
            self.assertEqual(len(lines), 1, r.stderr)
            self.assertIn("injected failure in the second writer", lines[0])
            self.assertEqual(pg.sql("failing", "SELECT status FROM sync_run"), [["failed"]])
            self.assertGreater(int(pg.sql("failing", "SELECT COUNT(*) FROM env_cost_day")[0][0]), 0)
            self.assert_whole_chunks(pg, "failing", clean)
            drop_trigger(pg, "failing")
            r = run_sync(emu, url)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(dump(to_sqlite(url, os.path.join(d, "failing.db")), FACT_TABLES) == want,
                            "after the writer's failure, the rerun differs")

            # Killed while the writer is inside a batch, which a first sync
            # sends by COPY (store_pg.c), slowed to a millisecond a row so the
            # kill lands inside one.
            url = pg.createdb("killed")
            create_tables(url)
            trigger(pg, "killed", "PERFORM pg_sleep(0.001);")
            proc = subprocess.Popen([DTCOST, "sync", "--db", url, "--quiet", "--retry-base-ms", "20"],
                                    env=sync_env(emu), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            deadline, mid = time.monotonic() + 120, False
            while not mid and time.monotonic() < deadline and proc.poll() is None:
                # the second connection's allocation batch running, after some allocation chunks committed
                mid = pg.sql("killed", "SELECT COUNT(*) > 0 AND EXISTS (SELECT 1 FROM cost_allocation)"
                                       " FROM pg_stat_activity me WHERE me.datname = current_database()"
                                       " AND me.application_name = 'dtcost' AND me.state = 'active'"
                                       " AND me.query LIKE '%COPY cost_allocation(%' AND EXISTS ("
                                       "SELECT 1 FROM pg_stat_activity a WHERE a.datname = me.datname"
                                       " AND a.application_name = 'dtcost' AND a.pid <> me.pid"
                                       " AND a.backend_start < me.backend_start)")[0][0] == "t"
                if not mid:
                    time.sleep(0.02)
            self.assertTrue(mid, "never saw the writer inside an allocation COPY")
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=10)
            self.assertEqual(proc.returncode, -signal.SIGKILL)
            time.sleep(0.5)  # the server ends the dead client's sessions, rolling back their transactions
            self.assert_whole_chunks(pg, "killed", clean)
            drop_trigger(pg, "killed")
            r = run_sync(emu, url)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("marked interrupted", r.stderr)
            self.assertTrue(dump(to_sqlite(url, os.path.join(d, "killed.db")), FACT_TABLES) == want,
                            "killed while the writer was mid-batch, the rerun differs")


if __name__ == "__main__":
    unittest.main()
