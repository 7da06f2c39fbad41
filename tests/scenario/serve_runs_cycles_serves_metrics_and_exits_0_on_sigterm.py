"""`dtcost serve` with a one-second interval syncs and pushes in cycles, never
two at once; /healthz and /readyz answer; /metrics follows the Prometheus
text rules and reports budget total/used/remaining, cost per environment
and capability for the last complete day, the last sync, the outbox
backlog, cycles, requests and retries, matching the database; SIGHUP
reloads the config; SIGTERM, even while a push waits to retry, ends it with
exit 0 within a bound and leaves the undelivered batches in the outbox."""
import http.client
import os
import signal
import subprocess
import time
import unittest

import promtext
from dtpush import expected, hook_fail, hook_read, hook_records, hook_url, latest_by_key, push_env
from dtsync import rows
from emu import DTCOST, Emulator, tmpdir


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.getheader("Content-Type"), r.read().decode()
    finally:
        c.close()


class Serve(unittest.TestCase):
    def test_two_cycles_metrics_reload_and_sigterm(self):
        with Emulator("--days", "20") as emu:
            d = tmpdir()
            db = os.path.join(d, "dtcost.db")
            cfg = os.path.join(d, "dtcost.ini")
            with open(cfg, "w") as f:
                f.write(f"[dtcost]\ndatabase = {db}\n\n[serve]\ninterval = 1\njitter = 0\n\n"
                        f"[push finops]\ntype = webhook\nurl = {hook_url(emu, 'serve')}\nformat = json\n")
            err_path = os.path.join(d, "serve.err")
            with open(err_path, "w") as err:
                proc = subprocess.Popen([DTCOST, "serve", "--config", cfg, "--listen", "127.0.0.1:0",
                                         "--retry-base-ms", "20"], env=push_env(emu), stdout=subprocess.PIPE,
                                        stderr=err)
            self.addCleanup(lambda: proc.poll() is None and proc.kill())
            port = int(proc.stdout.readline().decode().strip())
            self.assertEqual(get(port, "/healthz")[0], 200)

            fams = None
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                status, ctype, text = get(port, "/metrics")
                self.assertEqual(status, 200)
                fams = promtext.parse(text)
                if sum(v for _, v in fams["dtcost_cycles_total"]["samples"]) >= 2:
                    break
                time.sleep(0.2)
            self.assertGreaterEqual(promtext.value(fams, "dtcost_cycles_total", outcome="ok"), 2)
            self.assertTrue(ctype.startswith("text/plain; version=0.0.4"))
            self.assertEqual(get(port, "/readyz")[0], 200)
            self.assertEqual(get(port, "/nope")[0], 404)

            # Budget per active subscription, as the database has it.
            subs = rows(db, "SELECT uuid, currency, budget_total_micro, budget_used_micro FROM subscription "
                            "WHERE status <> 'EXPIRED'")
            self.assertTrue(subs)
            for uuid, cur, total, used in subs:
                self.assertAlmostEqual(promtext.value(fams, "dtcost_budget", subscription=uuid, currency=cur),
                                       total / 1e6, places=6)
                self.assertAlmostEqual(promtext.value(fams, "dtcost_budget_used", subscription=uuid), used / 1e6,
                                       places=6)
                self.assertAlmostEqual(promtext.value(fams, "dtcost_budget_remaining", subscription=uuid),
                                       (total - used) / 1e6, places=6)
            # Cost of the last complete day per environment and capability.
            day = rows(db, "SELECT MAX(day) FROM env_cost_day WHERE day < date('now')")[0][0]
            want = rows(db, "SELECT environment_id, capability_key, cost_micro FROM env_cost_day WHERE day=?", day)
            got = fams["dtcost_cost_last_complete_day"]["samples"]
            self.assertEqual(len(got), len(want))
            for env_id, cap, micro in want:
                self.assertAlmostEqual(promtext.value(fams, "dtcost_cost_last_complete_day", environment=env_id,
                                                      capability=cap), micro / 1e6, places=6)
            self.assertEqual(fams["dtcost_cost_last_complete_day"]["type"], "gauge")
            self.assertEqual(promtext.value(fams, "dtcost_last_sync_success"), 1)
            self.assertLess(abs(promtext.value(fams, "dtcost_last_sync_timestamp_seconds") - time.time()), 120)
            self.assertGreater(promtext.value(fams, "dtcost_requests_total", target="sync"), 0)
            self.assertGreater(promtext.value(fams, "dtcost_requests_total", target="push"), 0)
            self.assertIn("dtcost_retries_total", fams)
            self.assertIn("dtcost_outbox_backlog_batches", fams)
            self.assertEqual(fams["dtcost_requests_total"]["type"], "counter")
            # Cycles never overlap: each sync run ended before the next began.
            runs = rows(db, "SELECT started_at, finished_at FROM sync_run ORDER BY id")
            self.assertGreaterEqual(len(runs), 2)
            for (_, fin), (start, _) in zip(runs, runs[1:]):
                self.assertLessEqual(fin, start)
            # The webhook got every record once, over all cycles.
            _, latest = latest_by_key(hook_records(emu, "serve"))
            self.assertEqual({k: r["costMicro"] for k, r in latest.items()}, expected(db))
            self.assertEqual(len(hook_records(emu, "serve")), len(latest))

            # SIGHUP: a second destination appears in the next cycle.
            with open(cfg, "a") as f:
                f.write(f"\n[push audit]\ntype = webhook\nurl = {hook_url(emu, 'audit')}\n")
            proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 60
            while not hook_read(emu, "audit")["deliveries"] and time.monotonic() < deadline:
                time.sleep(0.2)
            self.assertTrue(hook_read(emu, "audit")["deliveries"], "the reloaded config was not used")

            # SIGTERM while a push waits to retry a failing receiver: the step
            # ends at once, exit 0, and what was not delivered stays pending.
            hook_fail(emu, "serve", count=1000, status=503)
            emu.advance(booking_runs=2)
            deadline = time.monotonic() + 60
            while hook_read(emu, "serve")["failures"] < 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertGreaterEqual(hook_read(emu, "serve")["failures"], 1)
            t0 = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
            self.assertEqual(proc.returncode, 0)
            self.assertLess(time.monotonic() - t0, 5, "SIGTERM waited for the retries to run out")
            pending = rows(db, "SELECT COUNT(*) FROM outbox_batch WHERE state='pending' AND dest=?",
                           f"webhook {hook_url(emu, 'serve')}")[0][0]
            self.assertGreater(pending, 0)
            proc.stdout.close()
            with open(err_path) as f:
                log = f.read()
            self.assertIn("config reloaded", log)
            self.assertIn("stopping on SIGTERM", log)


if __name__ == "__main__":
    unittest.main()
