"""`dtcost serve` keeps /healthz answering within one second (/readyz and
/metrics within three) while 200 slow clients (a byte every few seconds, from another
loopback address) hold connections: they meet the per-address cap and the
idle timeout, not the probes. SIGHUP, also sent during a cycle, reloads the
config and cycles go on; /healthz says 503 when a cycle runs past
--stuck-after, and ok again once the scheduler moves."""
import http.client
import os
import signal
import socket
import subprocess
import threading
import time
import unittest

import promtext
from dtpush import hook_fail, hook_url, push_env
from emu import DTCOST, Emulator, tmpdir

SLOW = 200


def get(port, path, timeout=1.0):
    t0 = time.monotonic()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode(), time.monotonic() - t0
    finally:
        c.close()


def cycles(port):
    fams = promtext.parse(get(port, "/metrics", timeout=5)[1])
    return sum(v for _, v in fams["dtcost_cycles_total"]["samples"])


def slow_clients(port, stop, opened):
    """SLOW connections from 127.0.0.2, each sending one byte of a request
    every 3 s until stop is set (bounded by the test)."""
    socks = []
    for _ in range(SLOW):
        s = socket.socket()
        s.settimeout(2)
        try:
            s.bind(("127.0.0.2", 0))
            s.connect(("127.0.0.1", port))
            socks.append(s)
        except OSError:
            s.close()
    opened.append(len(socks))
    req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    i = 0
    while not stop.wait(3):
        for s in socks:
            try:
                s.send(req[i:i + 1])
            except OSError:
                pass
        i = (i + 1) % len(req)
    for s in socks:
        s.close()


class Serve(unittest.TestCase):
    def test_probes_answer_under_slow_clients_and_cycles_survive_sighup(self):
        with Emulator("--days", "5") as emu:
            d = tmpdir()
            db = os.path.join(d, "dtcost.db")
            cfg = os.path.join(d, "dtcost.ini")
            with open(cfg, "w") as f:
                f.write(f"[serve]\ninterval = 1\njitter = 0\n\n[push slow]\ntype = webhook\n"
                        f"url = {hook_url(emu, 'slow')}\n")
            hook_fail(emu, "slow", count=0, delay_ms=0)
            open(db, "wb").close()  # serve --no-sync needs the database to exist; empty, so pushes come later
            proc = subprocess.Popen([DTCOST, "serve", "--config", cfg, "--db", db, "--listen", "127.0.0.1:0",
                                     "--no-sync", "--stuck-after", "2"], env=push_env(emu),
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            self.addCleanup(lambda: proc.poll() is None and proc.kill())
            port = int(proc.stdout.readline().decode().strip())

            stop, opened = threading.Event(), []
            t = threading.Thread(target=slow_clients, args=(port, stop, opened))
            t.start()
            try:
                deadline = time.monotonic() + 30
                while not opened and time.monotonic() < deadline:
                    time.sleep(0.1)
                self.assertTrue(opened, "slow clients did not start")
                for _ in range(8):  # about 8 s with the slow clients in place
                    # /healthz within 1 s; the others (more work) within 3 s
                    for path, want, bound in (("/healthz", 200, 1.0), ("/readyz", None, 3.0), ("/metrics", 200, 3.0)):
                        status, _, secs = get(port, path, timeout=bound)
                        if want:
                            self.assertEqual(status, want, path)
                        self.assertLess(secs, bound, f"{path} took {secs:.2f} s under {SLOW} slow clients")
                    time.sleep(1)
            finally:
                stop.set()
                t.join(timeout=30)

            # SIGHUP between and during cycles: cycles go on, /healthz stays ok.
            before = cycles(port)
            for _ in range(4):
                proc.send_signal(signal.SIGHUP)
                time.sleep(0.3)
            deadline = time.monotonic() + 30
            while cycles(port) < before + 3 and time.monotonic() < deadline:
                time.sleep(0.2)
            self.assertGreaterEqual(cycles(port), before + 3, "cycles stopped after SIGHUP")
            self.assertEqual(get(port, "/healthz")[0], 200)

            # A cycle stuck past --stuck-after: /healthz 503 and why; ok again after.
            # The receiver answers after 5 s; a sync gives the next cycle records to push.
            hook_fail(emu, "slow", count=0, delay_ms=5000)
            sync = subprocess.run([DTCOST, "sync", "--db", db, "--retry-base-ms", "20"], env=push_env(emu),
                                  capture_output=True, text=True, timeout=120)
            self.assertEqual(sync.returncode, 0, sync.stderr)
            deadline = time.monotonic() + 20
            status, text = 200, ""
            while status == 200 and time.monotonic() < deadline:
                status, text, _ = get(port, "/healthz", timeout=5)
                time.sleep(0.2)
            self.assertEqual(status, 503)
            self.assertIn("a cycle has run for", text)
            deadline = time.monotonic() + 40
            while status != 200 and time.monotonic() < deadline:
                status, text, _ = get(port, "/healthz", timeout=5)
                time.sleep(0.3)
            self.assertEqual(status, 200, text)
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=60), 0)


if __name__ == "__main__":
    unittest.main()
