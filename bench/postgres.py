#!/usr/bin/env python3
"""SQLite against PostgreSQL in one run: a cold `dtcost sync` of DAYS x ENVS
x CAPS from the emulator (no latency, no rate limit, so the database is the
difference), then `report --format json` and `export --format focus`, on
each back-end; prints wall seconds, CPU seconds of dtcost (client) and of
the PostgreSQL server, and the PostgreSQL / SQLite ratios (aim: sync within
1.5x, report within 2x). PostgreSQL is a throwaway cluster on a Unix socket
(tests/scenario/lib/pg.py: fsync off, as a CI machine would run it).

usage: DTCOST=build/dtcost bench/postgres.py [DAYS ENVS CAPS] [--profile]
  sizes default to 400 50 30 (bench/sync.sh's), or DAYS, ENVS, CAPS from the
  environment; `bench/postgres.py 90 20 10` is a quick run.
  --profile: the server loads pg_stat_statements and the statements that took
  most of the PostgreSQL sync's server time are printed."""
import atexit
import os
import shutil
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "scenario", "lib"))
sys.path.insert(0, here)
os.environ.setdefault("DTCOST_TEST_TMP", "/tmp")
from cpu import client_cpu, server_cpu  # noqa: E402
from dtsync import run_sync  # noqa: E402
from emu import DTCOST, Emulator, tmpdir  # noqa: E402
from pg import Postgres  # noqa: E402

args = [a for a in sys.argv[1:] if not a.startswith("--")]
profile = "--profile" in sys.argv[1:]
if len(args) not in (0, 3) or not all(a.isdigit() for a in args):
    sys.exit(__doc__)
days, envs, caps = args or [os.environ.get(k, d) for k, d in (("DAYS", "400"), ("ENVS", "50"), ("CAPS", "30"))]


def measure(pg, fn):
    """(wall, client CPU, server CPU) seconds of fn()."""
    w, c, s = time.monotonic(), client_cpu(), server_cpu(pg)
    fn()
    return time.monotonic() - w, client_cpu() - c, server_cpu(pg) - s


def run(argv):
    r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=7200)
    if r.returncode != 0:
        sys.exit(f"{' '.join(argv[:2])}: exit {r.returncode}: {r.stderr.strip()[:300]}")


def sync(emu, name, db):
    r = run_sync(emu, db, "--quiet", timeout=7200)
    if r.returncode != 0:
        sys.exit(f"sync into {name}: {r.stderr.strip()[:300]}")


def enable_profile(pg):
    """pg_stat_statements needs a server restart to load."""
    pg.sql("postgres", "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
    for k, v in (("synchronous_commit", "off"), ("full_page_writes", "off")):
        pg.sql("postgres", f"ALTER SYSTEM SET {k} = '{v}'")
    pg.stop()
    pg.restart()
    pg.sql("bench", "CREATE EXTENSION pg_stat_statements")


def server_profile(pg):
    """The statements that took most server time since the last reset, as lines."""
    rows = pg.sql("bench", "SELECT calls, round(total_exec_time::numeric / 1000, 2), rows,"
                           " regexp_replace(left(query, 110), '\\s+', ' ', 'g') FROM pg_stat_statements"
                           " ORDER BY total_exec_time DESC LIMIT 12")
    total = pg.sql("bench", "SELECT round(sum(total_exec_time)::numeric / 1000, 2) FROM pg_stat_statements")[0][0]
    out = [f"server time by statement during the PostgreSQL sync (pg_stat_statements; total {total} s):",
           f"{'calls':>7s} {'exec_s':>7s} {'rows':>9s}  statement"]
    return out + [f"{calls:>7s} {secs:>7s} {n:>9s}  {q}" for calls, secs, n, q in rows]


work = tmpdir()  # the SQLite database (hundreds of MB at full size): removed at the end
with Postgres() as pg, Emulator("--days", days, "--environments", envs, "--capabilities", caps,
                                "--rate-limit-rps", "0") as emu:
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    load = os.getloadavg()[0]
    dbs = {"sqlite": os.path.join(work, "bench.db"), "postgres": pg.createdb("bench")}
    if profile:
        enable_profile(pg)
    fig = {}
    wal = lambda: int(pg.sql("bench", "SELECT wal_bytes FROM pg_stat_wal")[0][0])  # noqa: E731
    for name, db in dbs.items():
        if name == "postgres" and profile:
            pg.sql("bench", "SELECT pg_stat_statements_reset()")
        wal0 = wal()
        fig[(name, "sync")] = measure(pg, lambda: sync(emu, name, db))
        if name == "postgres":
            wal_sync = wal() - wal0
        if name == "postgres" and profile:
            prof = server_profile(pg)
        fig[(name, "report")] = measure(pg, lambda: run([DTCOST, "report", "--format", "json", "--db", db]))
        fig[(name, "export")] = measure(pg, lambda: run([DTCOST, "export", "--format", "focus", "--db", db]))
    tables = ("env_cost_day", "env_usage_day", "cost_allocation", "usage_day")
    counts = pg.sql("bench", "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in tables))[0]
    print(f"{days} days x {envs} environments x {caps} capabilities ({sum(map(int, counts)):,} rows synced: "
          + ", ".join(f"{t} {int(c):,}" for t, c in zip(tables, counts))
          + f"), {os.cpu_count()} cores, load {load:.1f} at start")
    print(f"{'':7s} {'sqlite wall':>11s} {'cpu':>6s}   {'postgres wall':>13s} {'client':>6s} {'server':>6s}"
          f"   {'ratio wall':>10s} {'cpu':>6s}")
    for what in ("sync", "report", "export"):
        (aw, ac, _), (bw, bc, bs) = fig[("sqlite", what)], fig[("postgres", what)]
        print(f"{what:7s} {aw:9.2f} s {ac:6.2f}   {bw:11.2f} s {bc:6.2f} {bs:6.2f}   {bw / aw:9.2f}x"
              f" {(bc + bs) / ac:5.2f}x")
    nrows = sum(map(int, counts))
    print(f"postgres sync: {fig[('postgres', 'sync')][2] / nrows * 1e6:.1f} us of server CPU and"
          f" {wal_sync / nrows:.0f} bytes of WAL a row (pg_stat_wal)")
    aims = {"sync": 1.5, "report": 2.0}
    print("; ".join(f"{w} {fig[('postgres', w)][0] / fig[('sqlite', w)][0]:.2f}x (aim {a}x): "
                    f"{'met' if fig[('postgres', w)][0] / fig[('sqlite', w)][0] <= a else 'NOT met'}"
                    for w, a in aims.items()))
    if profile:
        print("\n".join(prof))
