"""Four `dtcost sync` workers, each syncing its own account, write into one
PostgreSQL database at once. One is killed with SIGKILL mid-run, once it has
committed some of its chunks and while the three others are still running,
and is started again at once. Then every account equals its source: the rows
of an uninterrupted run of that account alone and the emulator's daily cost;
no natural key is stored twice, no day is missing, `dtcost verify`
reconciles. The restart marks the killed run interrupted, and only it; the
three others end ok, having run side by side rather than in turn (each
account's sync lock is its own); the restart is not held up by the killed
worker's lock (advisory locks die with the session)."""
import contextlib
import os
import signal
import sqlite3
import subprocess
import time
import unittest

from dtsync import FACT_TABLES, sync_env
from dtverify import verify
from emu import DTCOST, Emulator, micro, tmpdir
from pg import Postgres, skip_without_postgres, to_sqlite

# One emulator per account, each with its own seed, size and latency. The
# emulator's first account has the same UUID whatever the seed, so every
# worker syncs its emulator's second account (UUID, subscriptions and
# environments derived from the seed). Latency stretches each run to a few
# seconds, so the four overlap and the kill lands inside one.
ACCOUNTS = (
    (7, ("--days", "60", "--environments", "4", "--capabilities", "6", "--latency-ms", "20")),
    (11, ("--days", "120", "--environments", "3", "--capabilities", "8", "--latency-ms", "15")),
    (13, ("--days", "90", "--environments", "5", "--capabilities", "5", "--subscriptions", "4",
          "--latency-ms", "20")),
    (17, ("--days", "120", "--environments", "4", "--capabilities", "7", "--latency-ms", "15")),
)
KILLED = 0  # the worker killed mid-run
KILL_AT = 0.1  # ... once this share of its cost rows is committed
CLIENT_ID = "dt0s02.EMUCLI01"
CLIENT_SECRET = "dt0s02.EMUCLI01.emulator-secret-not-for-production"  # the emulator's, not a secret
DB = "finops"
# Per-account comparison: the fact tables plus what the sync records of what
# it read (coverage) and of what changed (revision, without run ids and times).
COMPARED = FACT_TABLES + ["coverage", "revision"]


class Account:
    """One emulated account: its emulator, worker environment, and the
    database of one uninterrupted run of it alone (the reference)."""

    def __init__(self, emu, d, i):
        self.emu = emu
        self.uuid = emu.request("GET", "/emu/state").json()["accounts"][1]["uuid"]
        self.env = sync_env(emu, DT_ACCOUNT_UUID=self.uuid, DT_CLIENT_ID=CLIENT_ID, DT_CLIENT_SECRET=CLIENT_SECRET)
        self.clean = os.path.join(d, f"clean{i}.db")
        self.subs = None
        self.cost_rows = 0

    def start(self, db, *args):
        return subprocess.Popen([DTCOST, "sync", "--db", db, "--quiet", "--retry-base-ms", "20", *args],
                                env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def read_clean(self):
        con = sqlite3.connect(self.clean)
        try:
            self.subs = {r[0] for r in con.execute("SELECT uuid FROM subscription WHERE account_uuid = ?",
                                                   (self.uuid,))}
            self.cost_rows = con.execute("SELECT COUNT(*) FROM env_cost_day").fetchone()[0]
        finally:
            con.close()

    def owns(self, table, cols, row):
        """Is row of table (columns cols) this account's?"""
        r = dict(zip(cols, row))
        if "account_uuid" in r:
            return r["account_uuid"] == self.uuid
        if "subscription_uuid" in r:
            return r["subscription_uuid"] in self.subs
        text = r["scope"] if table == "coverage" else r["key"]  # "env_cost:<sub>", "<sub>|env|cap|day"
        return any(s in text for s in self.subs | {self.uuid})


def account_dump(db, acct):
    """The account's rows of every compared table, sorted, as text."""
    con = sqlite3.connect(db)
    out = []
    try:
        for t in COMPARED:
            cols = [r[1] for r in con.execute(f"PRAGMA table_info({t})")]
            if t == "revision":
                cols = ["fact", "key", "old_value", "new_value", "booking"]
            out.append(f"== {t} ({', '.join(cols)})")
            rows = con.execute(f"SELECT {', '.join(cols)} FROM {t} ORDER BY {', '.join(cols)}").fetchall()
            out += [repr(r) for r in rows if acct.owns(t, cols, r)]
    finally:
        con.close()
    return "\n".join(out)


def count(db, table):
    con = sqlite3.connect(db)
    try:
        return con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


def committed(pg, accts):
    """Cost rows each account has committed to the database so far (zeros
    before the first worker has created the schema)."""
    try:
        per_sub = {s: int(n) for s, n in pg.sql(DB, "SELECT subscription_uuid, COUNT(*) FROM env_cost_day GROUP BY 1")}
    except RuntimeError:
        return [0] * len(accts)
    return [sum(per_sub.get(s, 0) for s in a.subs) for a in accts]


def wait_for_kill_moment(pg, accts, procs, bound=90.0):
    """Until the worker to kill has committed KILL_AT of its cost rows and
    every other worker some of its own: a moment read from what the workers
    committed, not from a clock a loaded machine stretches. Returns the
    counts; it stops early when a worker ends or the bound passes."""
    deadline = time.monotonic() + bound
    while True:
        rows = committed(pg, accts)
        if rows[KILLED] >= KILL_AT * accts[KILLED].cost_rows and all(rows):
            return rows
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            return rows
        time.sleep(0.03)


def stop_all(procs):
    """SIGKILL and reap every sync still running (a failed test's)."""
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.communicate(timeout=10)


def natural_keys(db):
    """{table: its primary key columns} from the reference schema (SQLite)."""
    con = sqlite3.connect(db)
    try:
        out = {}
        for t in FACT_TABLES + ["coverage"]:
            pk = sorted((r[5], r[1]) for r in con.execute(f"PRAGMA table_info({t})") if r[5])
            out[t] = [c for _, c in pk]
        return out
    finally:
        con.close()


class FourWorkers(unittest.TestCase):
    def test_four_accounts_at_once_one_killed_and_restarted(self):
        skip_without_postgres()
        d = tmpdir()
        procs = []  # every sync this test starts; none outlives it
        with contextlib.ExitStack() as stack:
            emus = [stack.enter_context(Emulator("--accounts", "2", *flags, seed=seed)) for seed, flags in ACCOUNTS]
            accts = [Account(emu, d, i) for i, emu in enumerate(emus)]
            self.assertEqual(len({a.uuid for a in accts}), 4, "the four accounts must differ")
            stack.callback(stop_all, procs)
            # The reference: each account synced alone into its own SQLite
            # file, while the cluster starts.
            clean = [a.start(a.clean) for a in accts]
            procs += clean
            pg = stack.enter_context(Postgres())
            stack.callback(stop_all, procs)  # the workers end before the cluster stops
            for a, p in zip(accts, clean):
                err = p.communicate(timeout=240)[1]
                self.assertEqual(p.returncode, 0, err)
                a.read_clean()
                self.assertGreater(a.cost_rows, 100)

            url = pg.createdb(DB)
            workers = [a.start(url) for a in accts]
            procs += workers
            at_kill = wait_for_kill_moment(pg, accts, workers)
            running = [p.poll() is None for p in workers]
            workers[KILLED].send_signal(signal.SIGKILL)
            workers[KILLED].communicate(timeout=10)
            # Side by side, not in turn: at the kill, every worker had
            # committed rows of its own and none had ended.
            self.assertTrue(all(at_kill), f"a worker had committed nothing while others had (waiting for a "
                                          f"lock?): cost rows per worker {at_kill}, running {running}")
            self.assertEqual(running, [True] * 4, f"a worker ended before the kill (cost rows: {at_kill})")
            self.assertEqual(workers[KILLED].returncode, -signal.SIGKILL,
                             f"worker {KILLED} finished before the kill (cost rows: {at_kill})")
            # Some chunks but not all, and only whole ones: every stored cost
            # row lies in a range its chunk's coverage records (committed together).
            left = committed(pg, accts)[KILLED]
            self.assertTrue(0 < left < accts[KILLED].cost_rows, f"killed with {left} of {accts[KILLED].cost_rows}")
            self.assertEqual(pg.sql(DB, "SELECT COUNT(*) FROM env_cost_day e WHERE NOT EXISTS (SELECT 1 FROM"
                                        " coverage c WHERE c.scope = 'env_cost:' || e.subscription_uuid"
                                        " AND e.day BETWEEN c.first_day AND c.last_day)"), [["0"]],
                             "cost rows committed without the coverage of their chunk")

            # Restarted at once, while the others still run. A lock the
            # killed session left behind would make it give up (exit 73).
            restart = accts[KILLED].start(url, "--lock-wait", "10")
            procs.append(restart)
            outs = [p.communicate(timeout=240) if i != KILLED else None for i, p in enumerate(workers)]
            rerr = restart.communicate(timeout=240)[1]

            for i, p in enumerate(workers):
                if i == KILLED:
                    continue
                self.assertEqual(p.returncode, 0, f"worker {i}: {outs[i][1]}")
                self.assertNotIn("marked interrupted", outs[i][1], f"worker {i} took a live run for a dead one")
            self.assertEqual(restart.returncode, 0, rerr)
            self.assertIn("1 earlier run ended without finishing", rerr, "the restart marks the killed run only")

            # The runs: the killed one interrupted, never finished; the rest ok.
            runs = {int(pid): (status, finished) for pid, status, finished in
                    pg.sql(DB, "SELECT pid, status, finished_at FROM sync_run")}
            self.assertEqual(len(runs), 5, runs)
            self.assertEqual(runs[workers[KILLED].pid], ("interrupted", None))
            for p in [w for i, w in enumerate(workers) if i != KILLED] + [restart]:
                self.assertEqual(runs[p.pid][0], "ok", runs)

            # No natural key twice, checked on the server itself.
            for t, keys in natural_keys(accts[0].clean).items():
                self.assertEqual(pg.sql(DB, f"SELECT {', '.join(keys)} FROM {t} GROUP BY {', '.join(keys)}"
                                            f" HAVING COUNT(*) > 1 LIMIT 3"), [], f"{t}: a natural key twice")
            # No missing day: each subscription's cost days, overall and per
            # environment, run without a gap from its first to its last.
            gaps = pg.sql(DB, "SELECT subscription_uuid, env, MIN(day), MAX(day), COUNT(DISTINCT day) FROM ("
                              " SELECT subscription_uuid, '' AS env, day FROM cost_day UNION ALL"
                              " SELECT subscription_uuid, environment_id, day FROM env_cost_day) x"
                              " GROUP BY subscription_uuid, env"
                              " HAVING COUNT(DISTINCT day) <> MAX(day)::date - MIN(day)::date + 1")
            self.assertEqual(gaps, [], "days missing")
            r = verify(url)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

            # Every account equals its uninterrupted run, and nothing else is there.
            copy = to_sqlite(url, os.path.join(d, "copy.db"))
            for i, a in enumerate(accts):
                self.assertTrue(account_dump(copy, a) == account_dump(a.clean, a),
                                f"account {i} ({'killed and restarted' if i == KILLED else 'ran through'})"
                                " differs from its uninterrupted run")
            for t in FACT_TABLES + ["coverage"]:
                self.assertEqual(count(copy, t), sum(count(a.clean, t) for a in accts), t)
            # ... and the emulator's own daily cost, to the micro-unit.
            for a in accts:
                tok = a.emu.token(client_id=CLIENT_ID, secret=CLIENT_SECRET, resource=f"urn:dtaccount:{a.uuid}")
                for sub in sorted(a.subs):
                    api = a.emu.get_json(f"/sub/v2/accounts/{a.uuid}/subscriptions/{sub}/cost", tok)["data"]
                    want = sorted([c["startTime"][:10], str(micro(c["value"]))] for c in api)
                    got = pg.sql(DB, f"SELECT day, cost_micro FROM cost_day WHERE subscription_uuid = '{sub}'"
                                     " ORDER BY day")
                    self.assertEqual(got, want, sub)


if __name__ == "__main__":
    unittest.main()
