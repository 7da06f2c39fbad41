"""A throwaway PostgreSQL cluster for scenario tests: initdb in a temp dir
(as `nobody` when the tests run as root, since the server refuses root), a
Unix socket in that dir only (no TCP port), stopped at the end even when the
test fails. A test without PostgreSQL's binaries exits 77 (skipped) saying
why; every other failure to start is a failure."""
import atexit
import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

from emu import tmpdir


def _bindir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


def skip_without_postgres():
    """Exit 77 (ctest: skipped) with the reason when PostgreSQL is not installed.
    The process ends at once (os._exit): inside a test method, unittest would
    take sys.exit's SystemExit for an error and exit 1. So call it (or make
    the Postgres) before starting anything that must be stopped."""
    if not _bindir():
        print("skipped: PostgreSQL server binaries not installed (apt-get install postgresql-15; "
              "scripts/install-deps.sh does)", file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(77)


class Postgres:
    """`with Postgres() as pg:` -> pg.url("name") is a database URL for dtcost."""

    def __init__(self):
        skip_without_postgres()
        self.bin = _bindir()
        self.dir = tempfile.mkdtemp(prefix="pg-", dir=tmpdir())
        self.data = os.path.join(self.dir, "data")
        self.started = False
        self.user = None
        if os.geteuid() == 0:
            self.user = "nobody"
            pw = pwd.getpwnam(self.user)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            os.chmod(self.dir, 0o755)
            # The temp dir's parents must let nobody through.
            p = os.path.dirname(self.dir)
            while p not in ("/", ""):
                st = os.stat(p)
                if not st.st_mode & 0o001:
                    os.chmod(p, st.st_mode | 0o001)
                p = os.path.dirname(p)

    def _as_server(self, *cmd, check=True, timeout=60):
        argv = list(cmd)
        if self.user:
            argv = ["runuser", "-u", self.user, "--"] + argv
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=self.dir)
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
        return r

    def start(self):
        # --no-sync: a throwaway cluster (fsync is off below too); initdb
        # otherwise flushes its 40 MB to disk (1.3 s against 1.1, measured)
        self._as_server(f"{self.bin}/initdb", "-D", self.data, "-U", "dtcost", "--auth=trust",
                        "--locale=C", "-E", "UTF8", "--no-sync")
        atexit.register(self.stop)
        self.restart()
        return self

    @property
    def log(self):
        """The server's log file (pg_ctl appends to it on every start)."""
        return os.path.join(self.dir, "log")

    def stop(self, mode="fast"):
        if self.started:
            self.started = False
            self._as_server(f"{self.bin}/pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "30", "stop",
                            check=False)

    def restart(self, log_connections=False):
        """Start the stopped server again: the same data dir, socket and settings
        (log_connections: each session's start in self.log, with its
        application_name)."""
        self.started = True
        self._as_server(f"{self.bin}/pg_ctl", "-D", self.data, "-w", "-t", "30", "-l", self.log, "-o",
                        f"-k {self.dir} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
                        f"-c full_page_writes=off -c log_connections={'on' if log_connections else 'off'}",
                        "start")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def createdb(self, name):
        self._as_server(f"{self.bin}/createdb", "-h", self.dir, "-U", "dtcost", name)
        return self.url(name)

    def url(self, name, **params):
        q = "&".join([f"host={self.dir}", "user=dtcost"] + [f"{k}={v}" for k, v in params.items()])
        return f"postgresql:///{name}?{q}"

    def sql(self, name, query, schema="public"):
        """Rows of query as lists of text (None for NULL), via psql."""
        r = subprocess.run([f"{self.bin}/psql", "-h", self.dir, "-U", "dtcost", "-d", name, "-X", "-A", "-t",
                            "-F", "\x1f", "-P", "null=\x1e", "-v", "ON_ERROR_STOP=1", "-c",
                            f"SET search_path TO {schema}", "-c", query],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"psql: {r.stderr.strip()}")
        lines = [l for l in r.stdout.split("\n") if l != "" and l != "SET"]
        return [[None if c == "\x1e" else c for c in l.split("\x1f")] for l in lines]
