"""Two `dtcost push` runs to one destination started together send each
record exactly once: the second waits for the first's lock, then finds
nothing left to send. A run that cannot get the lock within --lock-wait
exits 73 with a one-line message naming the destination, and sends
nothing."""
import collections
import os
import subprocess
import time
import unittest

from dtpush import expected, hook_fail, hook_read, hook_records, hook_url, push_env
from dtsync import run_sync
from emu import DTCOST, Emulator, tmpdir


def start_push(emu, db, url, *extra):
    return subprocess.Popen([DTCOST, "push", "webhook", url, "--db", db, "--batch-records", "100",
                             "--retry-base-ms", "10", *extra], env=push_env(emu), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


class Lock(unittest.TestCase):
    def test_two_pushes_at_once_send_each_record_once(self):
        with Emulator("--days", "20") as emu:
            d = tmpdir()
            db = os.path.join(d, "dtcost.db")
            self.assertEqual(run_sync(emu, db).returncode, 0)
            want = expected(db)
            self.assertGreater(len(want), 500)

            hook_fail(emu, "one", count=0, delay_ms=150)
            a = start_push(emu, db, hook_url(emu, "one"))
            b = start_push(emu, db, hook_url(emu, "one"))
            outs = [p.communicate(timeout=240) for p in (a, b)]
            self.assertEqual([a.returncode, b.returncode], [0, 0], outs)
            got = hook_records(emu, "one")
            counts = collections.Counter(r["idempotencyKey"] for r in got)
            twice = [k for k, n in counts.items() if n > 1]
            self.assertEqual(twice, [], f"{len(twice)} records sent more than once")
            self.assertEqual({r["recordKey"] for r in got}, set(want))

            # A run that waits at most 1 s for a busy destination: exit 73, nothing sent.
            hook_fail(emu, "two", count=0, delay_ms=400)
            slow = start_push(emu, db, hook_url(emu, "two"))
            deadline = time.monotonic() + 60
            while not hook_read(emu, "two")["deliveries"] and time.monotonic() < deadline:
                time.sleep(0.05)
            seen = len(hook_read(emu, "two")["deliveries"])
            t0 = time.monotonic()
            busy = subprocess.run([DTCOST, "push", "webhook", hook_url(emu, "two"), "--db", db, "--lock-wait", "1"],
                                  env=push_env(emu), capture_output=True, text=True, timeout=60)
            waited = time.monotonic() - t0
            self.assertEqual(busy.returncode, 73, busy.stderr)
            lines = busy.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, busy.stderr)
            self.assertIn("another dtcost push to webhook " + hook_url(emu, "two"), lines[0])
            self.assertIn("run again when it is done", lines[0])
            self.assertLess(waited, 10)
            self.assertEqual(slow.wait(timeout=240), 0)
            got = hook_records(emu, "two")
            self.assertEqual(len(got), len({r["idempotencyKey"] for r in got}))
            self.assertEqual({r["recordKey"] for r in got}, set(want))
            self.assertGreater(seen, 0)


if __name__ == "__main__":
    unittest.main()
