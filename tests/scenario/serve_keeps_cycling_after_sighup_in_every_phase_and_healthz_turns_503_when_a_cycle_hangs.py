"""`dtcost serve` keeps starting cycles whatever SIGHUP does: sixty of them
50 ms apart (landing in cycles and in the sleeps between them, many while
the previous reload is being read), a reload of a broken config file (kept
out, the previous one used) and a reload that changes the schedule; after
each, cycles go on and /healthz says 200. And /healthz does not say ok when
cycles stop: while one cycle hangs (a receiver that takes 3 s to answer,
--stuck-after 2) it answers 503 naming the cycle's age, and 200 again once
the cycle ends. (Issue 12: "after SIGHUP, cycles stop while /healthz still
says ok".)"""
import http.client
import os
import signal
import subprocess
import time
import unittest

import promtext
from dtpush import hook_fail, hook_url, push_env
from emu import DTCOST, Emulator, tmpdir


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def cycles(port):
    fams = promtext.parse(get(port, "/metrics")[1])
    return sum(v for _, v in fams["dtcost_cycles_total"]["samples"])


class ServeSighup(unittest.TestCase):
    def wait_cycles(self, port, more, bound=20):
        """At least `more` cycles end within `bound` seconds of now."""
        start, deadline = cycles(port), time.monotonic() + bound
        while cycles(port) < start + more and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertGreaterEqual(cycles(port), start + more, f"cycles stopped at {cycles(port)}")

    def test_cycles_go_on_through_every_kind_of_sighup(self):
        with Emulator("--days", "5") as emu:
            d = tmpdir()
            db, cfg = os.path.join(d, "dtcost.db"), os.path.join(d, "dtcost.ini")
            good = (f"[dtcost]\ndatabase = {db}\n\n[serve]\ninterval = 1\njitter = 0\n\n"
                    f"[push finops]\ntype = webhook\nurl = {hook_url(emu, 'serve')}\nformat = json\n")
            with open(cfg, "w") as f:
                f.write(good)
            hook_fail(emu, "serve", count=0, delay_ms=3000)  # the first cycle's push hangs 3 s
            err_path = os.path.join(d, "serve.err")
            with open(err_path, "w") as err:
                proc = subprocess.Popen([DTCOST, "serve", "--config", cfg, "--listen", "127.0.0.1:0",
                                         "--stuck-after", "2"], env=push_env(emu), stdout=subprocess.PIPE,
                                        stderr=err)
            self.addCleanup(lambda: proc.poll() is None and proc.kill())
            port = int(proc.stdout.readline().decode().strip())

            # a cycle that hangs: 503 while it runs past --stuck-after, 200 after
            deadline, seen = time.monotonic() + 20, None
            while time.monotonic() < deadline and cycles(port) == 0:
                status, text = get(port, "/healthz")
                if status == 503:
                    seen = text
                    break
                time.sleep(0.05)
            self.assertIsNotNone(seen, "/healthz never said 503 while the first cycle hung")
            self.assertIn("a cycle has run for", seen)
            hook_fail(emu, "serve", count=0, delay_ms=0)
            self.wait_cycles(port, 1)
            self.assertEqual(get(port, "/healthz")[0], 200)

            # sixty SIGHUPs 50 ms apart: in cycles, in sleeps, during reloads
            before = cycles(port)
            for _ in range(60):
                proc.send_signal(signal.SIGHUP)
                time.sleep(0.05)
            self.assertGreater(cycles(port), before, "no cycle ended during the SIGHUPs")
            self.wait_cycles(port, 2)
            self.assertEqual(get(port, "/healthz")[0], 200)

            # a broken config file: refused, the previous one kept, cycles go on
            with open(cfg, "w") as f:
                f.write("[serve]\ninterval = soon\n")
            proc.send_signal(signal.SIGHUP)
            self.wait_cycles(port, 2)
            self.assertEqual(get(port, "/healthz")[0], 200)

            # a schedule change: the next cycle comes on the new one
            with open(cfg, "w") as f:
                f.write(good.replace("interval = 1", "interval = 2"))
            proc.send_signal(signal.SIGHUP)
            self.wait_cycles(port, 1)
            self.assertEqual(get(port, "/healthz")[0], 200)

            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
            self.assertEqual(proc.returncode, 0)
            with open(err_path) as f:
                log = f.read()
            self.assertIn("config reload failed, keeping the previous one", log)
            self.assertIn("interval", log[log.index("config reload failed"):].splitlines()[0])
            self.assertGreaterEqual(log.count("config reloaded"), 2)
            self.assertIn("every 2 s", log[log.rindex("config reloaded"):].splitlines()[0])


if __name__ == "__main__":
    unittest.main()
