"""A throwaway PostgreSQL cluster for scenario tests: a data dir copied from
one initdb made per test tree, a Unix socket in its temp dir only (no TCP
port), run as `nobody` when the tests run as root (the server refuses
root), stopped at the end even when the test fails. A test without
PostgreSQL's binaries exits 77 (skipped) saying why; every other failure to
start is a failure. Also the helpers the PostgreSQL tests share: a copy into
SQLite, waiting for a run to be mid-way, and a proxy that drops an answer,
cuts a connection or holds the run's start."""
import atexit
import fcntl
import glob
import hashlib
import os
import pwd
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

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
            self._let_server_in(self.dir)
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

    INITDB = ("-U", "dtcost", "--auth=trust", "--locale=C", "-E", "UTF8")

    def _template(self):
        """A new cluster's data directory, made by initdb once per test tree
        (DTCOST_TEST_TMP) and copied by each test: a cluster's start and stop
        took 1.1-1.7 CPU-s with its own initdb and 0.6 with the copy
        (measured), and some twenty tests start one. One template per server
        version, initdb arguments and server user (the copy keeps the
        owner), made under a lock by whichever test needs it first, in a
        directory of its own renamed into place whole; initdb flushes it to
        disk (once per tree), so neither a killed test nor a crash leaves a
        half template. Without DTCOST_TEST_TMP (a test run by hand) the
        template is the test's own, in its private temp dir: no fixed name in
        a shared /tmp that another user could take or plant first."""
        base = os.environ.get("DTCOST_TEST_TMP") or self.dir
        os.makedirs(base, exist_ok=True)
        uid = pwd.getpwnam(self.user).pw_uid if self.user else os.geteuid()
        key = hashlib.sha256(repr((self.bin, self.INITDB, uid)).encode()).hexdigest()[:12]
        root = os.path.join(base, f"pg-template-{key}")
        done = os.path.join(root, "data")
        with open(os.path.join(base, f"pg-template-{key}.lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            os.makedirs(root, exist_ok=True)
            self._let_server_in(root)
            for left in glob.glob(os.path.join(root, "new-*")):  # a killed test's, under the lock
                shutil.rmtree(left, ignore_errors=True)
            if not os.path.isdir(done):
                new = os.path.join(root, f"new-{os.getpid()}")
                self._as_server(f"{self.bin}/initdb", "-D", new, *self.INITDB)
                os.rename(new, done)
        return done

    def _let_server_in(self, path):
        """The server's user (nobody when the tests run as root) owns path."""
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chown(path, pw.pw_uid, pw.pw_gid)
            os.chmod(path, 0o755)

    def start(self):
        # a copy keeps owner and modes (0700, the server's user)
        subprocess.run(["cp", "-a", self._template(), self.data], check=True, timeout=60)
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


def to_sqlite(url, path):
    """`dtcost db copy` of the database at url into a new SQLite file at path (returned)."""
    from emu import DTCOST
    r = subprocess.run([DTCOST, "db", "copy", "--from", url, "--to", path], capture_output=True, text=True,
                       timeout=240)
    if r.returncode != 0:
        raise RuntimeError(f"db copy: exit {r.returncode}: {r.stderr.strip()}")
    return path


def wait_until(pg, name, query, more_than, proc, limit=120):
    """Until query's count passes more_than (a run mid-way, by what it
    committed rather than by a clock a loaded machine stretches), proc ends,
    or limit seconds pass. True when the count passed."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if int(pg.sql(name, query)[0][0]) > more_than:
                return True
        except RuntimeError:
            pass  # the schema is not there yet
        time.sleep(0.02)
    return False


class Relay:
    """Listens where libpq looks for a server (`host=self.dir`) and relays
    each connection to the real server's socket, reading the client's
    messages one by one. decide(kind, body, state) (state: a dict per
    connection) may answer, for a message:
    - "drop_answer": pass it on, and close both sides as soon as the server
      answers (the server did it; the client never hears);
    - "cut_client": do not pass it; close only the client's side and keep
      the server's open (a network cut the server has not noticed: the
      session lives on, holding its locks and its open transaction);
    - "hold": set self.held and pass it on only once self.release is set
      (at most 120 s), e.g. to a server stopped and started meanwhile."""

    def __init__(self, server_socket):
        self.dir = tempfile.mkdtemp(prefix="pgproxy-", dir=tmpdir())
        self.server_socket = server_socket
        self.lock = threading.Lock()
        self.kept = []  # server sides of cut connections, open until stop()
        self.held, self.release = threading.Event(), threading.Event()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(os.path.join(self.dir, os.path.basename(server_socket)))
        self.listener.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    def decide(self, kind, body, state):
        return None

    def url(self, name):
        return f"postgresql:///{name}?host={self.dir}&user=dtcost"

    def stop(self):
        self.release.set()
        self.listener.close()
        with self.lock:
            self._close(*self.kept)
            self.kept = []

    @staticmethod
    def _close(*socks):
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                server.connect(self.server_socket)
            except OSError:  # the server is down: this client is refused, the next may not be
                self._close(client, server)
                continue
            state = {"drop": False, "cut": False}
            threading.Thread(target=self._client_to_server, args=(client, server, state), daemon=True).start()
            threading.Thread(target=self._server_to_client, args=(client, server, state), daemon=True).start()

    def _client_to_server(self, client, server, state):
        buf, started = b"", False
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                buf += data
                while True:
                    if not started:  # untyped: the startup packet (or an SSL / GSS request first)
                        if len(buf) < 8:
                            break
                        n = struct.unpack("!I", buf[:4])[0]
                        if len(buf) < n:
                            break
                        started = struct.unpack("!I", buf[4:8])[0] == 196608
                        msg, buf = buf[:n], buf[n:]
                    else:
                        if len(buf) < 5:
                            break
                        n = struct.unpack("!I", buf[1:5])[0] + 1
                        if len(buf) < n:
                            break
                        msg, buf = buf[:n], buf[n:]
                        action = self.decide(msg[:1], msg[5:], state)
                        if action == "cut_client":
                            with self.lock:
                                state["cut"] = True
                                self.kept.append(server)
                            self._close(client)
                            return
                        if action == "drop_answer":
                            state["drop"] = True
                        if action == "hold":
                            self.held.set()
                            self.release.wait(timeout=120)
                    server.sendall(msg)
        except OSError:
            pass
        if not state["cut"]:
            self._close(client, server)

    def _server_to_client(self, client, server, state):
        try:
            while True:
                data = server.recv(65536)
                if not data or state["drop"]:  # a dropped answer: it ran; the client never hears
                    break
                client.sendall(data)
        except OSError:
            pass
        if not state["cut"]:
            self._close(client, server)


class HoldRunStart(Relay):
    """Holds the message that inserts the run's sync_run row, or (at_commit)
    the COMMIT after it: the run's start, the one transaction whose moment a
    test can hold while nothing else writes."""

    def __init__(self, server_socket, at_commit):
        super().__init__(server_socket)
        self.at_commit = at_commit
        self.fired = False

    def decide(self, kind, body, state):
        with self.lock:
            if self.fired:
                return None
            if b"INSERT INTO sync_run" in body:
                state["run"] = True
                if not self.at_commit:
                    self.fired = True
                    return "hold"
            elif kind == b"Q" and body.startswith(b"COMMIT") and state.get("run"):
                self.fired = True
                return "hold"
        return None
