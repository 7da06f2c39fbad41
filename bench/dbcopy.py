#!/usr/bin/env python3
"""`dtcost db copy` of a realistic database, this build against a baseline
binary in the same run: DAYS x ENVS x CAPS of the emulator synced into
SQLite once, then with each binary, into a new PostgreSQL database, again
into it (every row a conflict), back into a new SQLite file, and into
another new SQLite file from the first; prints wall seconds, the CPU seconds
of dtcost (client) and of the server, and rows a second (rows the copy
reports / wall). Every copy back must equal the source table for table (a
hash of each table's sorted rows), or the script fails. PostgreSQL is a
throwaway cluster on a Unix socket (tests/scenario/lib/pg.py, as
bench/postgres.py uses; fsync off).

usage: DTCOST=build/dtcost BASELINE=/path/to/older/dtcost bench/dbcopy.py [DAYS ENVS CAPS]
  sizes default to 365 20 20 (564,000 rows); `bench/dbcopy.py 90 5 5`
  is a quick run. Without BASELINE the baseline is built from BASELINE_REV
  (default e500e82, the last commit whose copy wrote one row a statement)
  with `git archive` into a temporary directory (a minute or two)."""
import atexit
import hashlib
import os
import shutil
import sqlite3
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
if len(args) not in (0, 3) or not all(a.isdigit() for a in args):
    sys.exit(__doc__)
days, envs, caps = args or ("365", "20", "20")
work = tmpdir()
atexit.register(shutil.rmtree, work, ignore_errors=True)


def baseline_binary():
    if os.environ.get("BASELINE"):
        return os.environ["BASELINE"], os.environ["BASELINE"]
    rev = os.environ.get("BASELINE_REV", "e500e82")
    src, build = os.path.join(work, "baseline-src"), os.path.join(work, "baseline-build")
    os.makedirs(src)
    archive = subprocess.run(["git", "-C", os.path.join(here, ".."), "archive", rev], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", src], input=archive, check=True)
    for argv in (["cmake", "-S", src, "-B", build, "-DCMAKE_BUILD_TYPE=Release", "-DDTCOST_BUILD_TESTS=OFF"],
                 ["cmake", "--build", build, "-j", str(os.cpu_count()), "--target", "dtcost"]):
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    return os.path.join(build, "dtcost"), f"main at {rev}"


def copy(binary, a, b):
    """rows the copy reports; exits on a failed copy."""
    r = subprocess.run([binary, "db", "copy", "--from", a, "--to", b], capture_output=True, text=True,
                       timeout=4 * 3600)
    if r.returncode != 0:
        sys.exit(f"db copy --from {a} --to {b}: exit {r.returncode}: {r.stderr.strip()[:300]}")
    return int(r.stdout.split()[3])  # "dtcost db: copied N rows of T tables"


def digest(db):
    """table -> sha256 of its rows in order of every column."""
    con = sqlite3.connect(db)
    out = {}
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'"
                                                " AND name != 'meta' AND name NOT LIKE 'sqlite_%'")]
        for t in tables:
            cols = [r[1] for r in con.execute(f"PRAGMA table_info({t})")]
            h = hashlib.sha256()
            for row in con.execute(f"SELECT * FROM {t} ORDER BY {', '.join(cols)}"):
                h.update(repr(row).encode())
            out[t] = h.hexdigest()
    finally:
        con.close()
    return out


base_bin, base_name = baseline_binary()
lite = os.path.join(work, "source.db")
with Postgres() as pg, Emulator("--days", days, "--environments", envs, "--capabilities", caps,
                                "--rate-limit-rps", "0") as emu:
    r = run_sync(emu, lite, "--quiet", timeout=7200)
    if r.returncode != 0:
        sys.exit(f"sync: {r.stderr.strip()[:300]}")
    source = digest(lite)
    load = os.getloadavg()[0]
    fig, rows = {}, None
    for who, binary in (("baseline", base_bin), ("this", DTCOST)):
        url = pg.createdb(f"copy_{who}")
        back, again = os.path.join(work, f"back-{who}.db"), os.path.join(work, f"lite-{who}.db")
        for step, a, b in (("sqlite -> postgres", lite, url), ("again (all conflicts)", lite, url),
                           ("postgres -> sqlite", url, back), ("sqlite -> sqlite", lite, again)):
            w, c, s = time.monotonic(), client_cpu(), server_cpu(pg)
            n = copy(binary, a, b)
            fig[(who, step)] = (time.monotonic() - w, client_cpu() - c, server_cpu(pg) - s, n)
            rows = rows or n
        for db in (back, again):
            got = digest(db)
            if got != source:
                sys.exit(f"{who}: {db} differs from the source in "
                         + ", ".join(sorted(t for t in set(got) | set(source) if got.get(t) != source.get(t))))
        if who == "this":
            pg_counts = pg.sql(f"copy_{who}", "SELECT count(*) FROM env_cost_day")
    print(f"{days} days x {envs} environments x {caps} capabilities: {rows:,} rows in 24 tables "
          f"(env_cost_day {int(pg_counts[0][0]):,}), {os.cpu_count()} cores, load {load:.1f} at start")
    print(f"baseline: {base_name}; this build: {DTCOST}")
    print(f"{'':22s} {'baseline wall':>13s} {'client':>6s} {'server':>6s} {'rows/s':>9s}"
          f"   {'this wall':>9s} {'client':>6s} {'server':>6s} {'rows/s':>9s}   {'speed-up':>8s}")
    for step in ("sqlite -> postgres", "again (all conflicts)", "postgres -> sqlite", "sqlite -> sqlite"):
        (aw, ac, as_, n), (bw, bc, bs, _) = fig[("baseline", step)], fig[("this", step)]
        print(f"{step:22s} {aw:11.2f} s {ac:6.2f} {as_:6.2f} {n / aw:9,.0f}"
              f"   {bw:7.2f} s {bc:6.2f} {bs:6.2f} {n / bw:9,.0f}   {aw / bw:7.2f}x")
    print("every copy back equals the source, table for table")
