"""`dtcost push` from a PostgreSQL database: two pushes to one destination
started together send each record exactly once (the second waits for the
first's advisory lock, then finds nothing left); one that cannot get the
lock within --lock-wait exits 73 naming the destination; a receiver's 413
splits a batch and still every record arrives once; dead letters come back
with --retry-failed; and `serve`'s /metrics reports the outbox backlog."""
import collections
import http.client
import os
import subprocess
import time
import unittest

import promtext
from dtpush import expected, hook_fail, hook_read, hook_records, hook_url, push_env, run_push
from dtsync import run_sync
from emu import DTCOST, Emulator, tmpdir
from pg import Postgres


def start_push(emu, db, url, *extra):
    return subprocess.Popen([DTCOST, "push", "webhook", url, "--db", db, "--batch-records", "100",
                             "--retry-base-ms", "10", *extra], env=push_env(emu), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def once_each(test, emu, name, want):
    got = hook_records(emu, name)
    twice = [k for k, n in collections.Counter(r["idempotencyKey"] for r in got).items() if n > 1]
    test.assertEqual(twice, [], f"{len(twice)} records sent more than once")
    test.assertEqual({r["recordKey"]: r["costMicro"] for r in got}, want)


def metrics(emu, url):
    proc = subprocess.Popen([DTCOST, "serve", "--db", url, "--listen", "127.0.0.1:0", "--no-sync"],
                            env=push_env(emu), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        port = int(proc.stdout.readline().decode().strip())
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/metrics")
        r = c.getresponse()
        body = r.read().decode()
        c.close()
        return r.status, body
    finally:
        proc.terminate()
        proc.wait(timeout=60)


class PushFromPostgres(unittest.TestCase):
    def test_each_record_once_and_one_push_per_destination(self):
        d = tmpdir()
        with Postgres() as pg, Emulator("--days", "20") as emu:
            url = pg.createdb("push")
            self.assertEqual(run_sync(emu, url).returncode, 0)
            lite = os.path.join(d, "copy.db")
            r = subprocess.run([DTCOST, "db", "copy", "--from", url, "--to", lite], capture_output=True,
                               text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            want = expected(lite)
            self.assertGreater(len(want), 500)

            # Two at once: each record exactly once.
            hook_fail(emu, "one", count=0, delay_ms=150)
            a = start_push(emu, url, hook_url(emu, "one"))
            b = start_push(emu, url, hook_url(emu, "one"))
            outs = [p.communicate(timeout=240) for p in (a, b)]
            self.assertEqual([a.returncode, b.returncode], [0, 0], outs)
            once_each(self, emu, "one", want)
            n = len(hook_read(emu, "one")["deliveries"])
            again = run_push(emu, url, "webhook", hook_url(emu, "one"))
            self.assertEqual(again.returncode, 0, again.stderr)
            self.assertEqual(len(hook_read(emu, "one")["deliveries"]), n, "a second push sent again")

            # Busy past --lock-wait: exit 73, one line, nothing sent by it.
            hook_fail(emu, "two", count=0, delay_ms=400)
            slow = start_push(emu, url, hook_url(emu, "two"))
            deadline = time.monotonic() + 60
            while not hook_read(emu, "two")["deliveries"] and time.monotonic() < deadline:
                time.sleep(0.05)
            busy = subprocess.run([DTCOST, "push", "webhook", hook_url(emu, "two"), "--db", url, "--lock-wait", "1"],
                                  env=push_env(emu), capture_output=True, text=True, timeout=60)
            self.assertEqual(busy.returncode, 73, busy.stderr)
            lines = busy.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, busy.stderr)
            self.assertIn("another dtcost push to webhook " + hook_url(emu, "two"), lines[0])
            self.assertEqual(slow.wait(timeout=240), 0)
            once_each(self, emu, "two", want)

            # A 413 halves the batch; nothing lost, nothing twice.
            hook_fail(emu, "big", count=1, status=413)
            r = run_push(emu, url, "webhook", hook_url(emu, "big"), "--batch-records", "1000")
            self.assertEqual(r.returncode, 0, r.stderr)
            once_each(self, emu, "big", want)
            self.assertEqual(pg.sql("push", "SELECT COUNT(*) FROM outbox_batch WHERE state='split'"), [["1"]])

            # Dead letters, the backlog in /metrics, then --retry-failed.
            hook_fail(emu, "poison", count=1000, status=503)
            r = run_push(emu, url, "webhook", hook_url(emu, "poison"), "--retries", "1", "--dead-after", "1",
                         "--batch-records", "1500")
            self.assertEqual(r.returncode, 75, r.stderr)
            dead = pg.sql("push", "SELECT COUNT(*), SUM(records) FROM outbox_batch WHERE state='dead'")
            status, text = metrics(emu, url)
            self.assertEqual(status, 200, text)
            fams = promtext.parse(text)
            got = {(lbl.get("destination"), lbl.get("state")): v for lbl, v in fams["dtcost_outbox_backlog_batches"]["samples"]}
            self.assertEqual(got, {("webhook " + hook_url(emu, "poison"), "dead"): float(dead[0][0])})
            hook_fail(emu, "poison", count=0)
            r = run_push(emu, url, "webhook", hook_url(emu, "poison"), "--retry-failed")
            self.assertEqual(r.returncode, 0, r.stderr)
            once_each(self, emu, "poison", want)
            self.assertEqual(pg.sql("push", "SELECT COUNT(*) FROM outbox_batch WHERE state IN ('pending','dead')"),
                             [["0"]])
            self.assertEqual(pg.sql("push", "SELECT COUNT(*) FROM outbox_record WHERE body IS NOT NULL"), [["0"]])


if __name__ == "__main__":
    unittest.main()
