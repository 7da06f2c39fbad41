#!/usr/bin/env python3
"""SQLite against PostgreSQL in one run: a cold `dtcost sync` of DAYS x ENVS
x CAPS from the emulator (no latency, so the database is the difference),
then `report --format json` and `export --format focus`, on each back-end;
prints seconds and the PostgreSQL / SQLite ratio (aim: sync within 1.5x,
report within 2x). PostgreSQL is a throwaway cluster on a Unix socket
(tests/scenario/lib/pg.py).

usage: DTCOST=build/dtcost bench/postgres.py   (DAYS, ENVS, CAPS: default 400 50 30)"""
import os
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "scenario", "lib"))
os.environ.setdefault("DTCOST_TEST_TMP", "/tmp")
from dtsync import run_sync  # noqa: E402
from emu import DTCOST, Emulator, tmpdir  # noqa: E402
from pg import Postgres  # noqa: E402

days, envs, caps = (os.environ.get(k, d) for k, d in (("DAYS", "400"), ("ENVS", "50"), ("CAPS", "30")))


def timed(argv):
    t0 = time.monotonic()
    r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=7200)
    took = time.monotonic() - t0
    if r.returncode != 0:
        sys.exit(f"{' '.join(argv[:2])}: exit {r.returncode}: {r.stderr.strip()[:300]}")
    return took


with Postgres() as pg, Emulator("--days", days, "--environments", envs, "--capabilities", caps,
                                "--rate-limit-rps", "0") as emu:
    dbs = {"sqlite": os.path.join(tmpdir(), "bench.db"), "postgres": pg.createdb("bench")}
    fig = {}
    for name, db in dbs.items():
        t0 = time.monotonic()
        r = run_sync(emu, db, "--quiet", timeout=7200)
        if r.returncode != 0:
            sys.exit(f"sync into {name}: {r.stderr.strip()[:300]}")
        fig[(name, "sync")] = time.monotonic() - t0
        fig[(name, "report")] = timed([DTCOST, "report", "--format", "json", "--db", db])
        fig[(name, "export")] = timed([DTCOST, "export", "--format", "focus", "--db", db])
    print(f"{days} days x {envs} environments x {caps} capabilities")
    for what in ("sync", "report", "export"):
        a, b = fig[("sqlite", what)], fig[("postgres", what)]
        print(f"{what:7s} sqlite {a:7.2f} s  postgres {b:7.2f} s  ratio {b / a:5.2f}x")
