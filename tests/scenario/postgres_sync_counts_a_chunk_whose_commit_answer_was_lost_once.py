"""Against PostgreSQL: when the connection drops after a chunk's COMMIT
reached the server but before its answer came back (the one case where the
client cannot know whether the chunk is stored), `dtcost sync` reconnects,
asks the server what became of that transaction (txid_status), finds it
committed and does not redo it: the run ends ok, the database equals one
uninterrupted run, and the run log counts each row once (a redo would have
found the chunk's rows stored already and counted them as unchanged).

The drop is made by a proxy between dtcost and the server's Unix socket
that reads the client's messages and, at the Nth COMMIT of a transaction
that wrote facts, passes the COMMIT on and closes both sides as soon as the
server answers."""
import os
import socket
import struct
import subprocess
import tempfile
import threading
import unittest

from dtsync import FACT_TABLES, dump, run_sync, rows
from emu import DTCOST, Emulator, tmpdir
from pg import Postgres

FLAGS = ("--days", "60", "--environments", "4", "--capabilities", "6")
DROP_AT = 12  # the 12th COMMIT of a transaction that wrote facts: a page or a walk
COUNTS = "SELECT status, inserted, updated, restated_days FROM sync_run ORDER BY id"


class CommitAnswerDropper:
    """Listens where libpq looks for a server in `dir` and relays each
    connection to the real server's socket; drops one COMMIT's answer."""

    def __init__(self, server_socket, drop_at):
        self.dir = tempfile.mkdtemp(prefix="pgproxy-", dir=tmpdir())
        self.server_socket = server_socket
        self.drop_at = drop_at
        self.commits = 0
        self.dropped = False
        self.lock = threading.Lock()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(os.path.join(self.dir, os.path.basename(server_socket)))
        self.listener.listen(16)
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.connect(self.server_socket)
            state = {"drop": False, "xid": False, "rows": False}
            threading.Thread(target=self.client_to_server, args=(client, server, state), daemon=True).start()
            threading.Thread(target=self.server_to_client, args=(client, server, state), daemon=True).start()

    @staticmethod
    def close(*socks):
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def client_to_server(self, client, server, state):
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
                        kind, body = msg[:1], msg[5:]
                        if kind in (b"Q", b"P") and b"txid_current()" in body:
                            state["xid"], state["rows"] = True, False  # a write transaction (store_pg.c)
                        if (kind == b"Q" and b"COPY " in body) or (kind == b"B" and body.startswith(b"\x00put")):
                            state["rows"] = True  # facts: a COPY, or the merge's prepared statement
                        if kind == b"Q" and body == b"COMMIT\x00" and state["xid"] and state["rows"]:
                            state["xid"] = False
                            with self.lock:
                                self.commits += 1
                                if self.commits == self.drop_at:
                                    state["drop"] = self.dropped = True
                    server.sendall(msg)
        except OSError:
            pass
        self.close(client, server)

    def server_to_client(self, client, server, state):
        try:
            while True:
                data = server.recv(65536)
                if not data:
                    break
                if state["drop"]:  # the COMMIT's answer: it ran; the client never hears
                    break
                client.sendall(data)
        except OSError:
            pass
        self.close(client, server)

    def stop(self):
        self.listener.close()


class CommitAnswerLost(unittest.TestCase):
    def test_a_committed_chunk_is_not_redone_or_counted_twice(self):
        d = tmpdir()
        with Postgres() as pg, Emulator(*FLAGS) as emu:
            clean = os.path.join(d, "clean.db")
            self.assertEqual(run_sync(emu, clean).returncode, 0)
            pg.createdb("dropped")
            proxy = CommitAnswerDropper(os.path.join(pg.dir, ".s.PGSQL.5432"), DROP_AT)
            try:
                url = f"postgresql:///dropped?host={proxy.dir}&user=dtcost"
                r = run_sync(emu, url, "--db-retry", "30")
            finally:
                proxy.stop()
            self.assertTrue(proxy.dropped, f"only {proxy.commits} commits went through the proxy")
            self.assertEqual(r.returncode, 0, r.stderr)
            got = subprocess.run([DTCOST, "db", "copy", "--from", pg.url("dropped"), "--to",
                                  os.path.join(d, "dropped.db")], capture_output=True, text=True, timeout=240)
            self.assertEqual(got.returncode, 0, got.stderr)
            self.assertTrue(dump(os.path.join(d, "dropped.db"), FACT_TABLES) == dump(clean, FACT_TABLES),
                            "after the lost answer, the data differs")
            self.assertEqual(pg.sql("dropped", COUNTS), [[c[0], str(c[1]), str(c[2]), str(c[3])]
                                                          for c in rows(clean, COUNTS)])
            self.assertEqual(pg.sql("dropped", "SELECT COUNT(*) FROM revision"), [["0"]])
            self.assertRegex(r.stderr, r"warning: database: commit: the PostgreSQL connection was lost \(.*\);"
                                       r" retrying for up to 30 s\n")
            self.assertRegex(r.stderr, r"warning: database: reconnected after \d+ s; the transaction in flight had"
                                       r" committed\n")


if __name__ == "__main__":
    unittest.main()
