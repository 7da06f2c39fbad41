"""With faults on, against live and documented paging (10% of requests answered 429 or 503 or dropped mid-body, a
20-second token lifetime, tokens that expire mid-pagination, every shape of
last-page nextPageKey) `dtcost sync` retries and ends with a database
identical to a fault-free run. When Dynatrace keeps failing, it stops with
exit code 75 and a message saying so, having committed only whole pages."""
import os
import unittest

from dtsync import dump, rows, run_sync
from emu import Emulator, tmpdir

NOW = "2026-11-22T06:00:00Z"
# 45 days in pages of 40: about 1,400 requests, so about 140 faults and
# tokens renewed every 25 uses; the walks span several 7- and 28-day chunks.
FLAGS = ("--days", "45", "--page-size-default", "40", "--page-size-max", "40")


class SyncWithFaults(unittest.TestCase):
    def test_faulty_run_equals_clean_run(self):
        self.faulty_run_equals_clean_run(FLAGS)

    def test_the_same_with_documented_paging(self):
        self.faulty_run_equals_clean_run(FLAGS + ("--paging", "docs"))

    def faulty_run_equals_clean_run(self, flags):
        d = tmpdir()
        with Emulator(*flags) as clean:
            res = run_sync(clean, os.path.join(d, "clean.db"))
            self.assertEqual(res.returncode, 0, res.stderr)
        faults = ("--fault-429", "0.034", "--fault-503", "0.033", "--fault-drop", "0.033",
                  "--retry-after", "0", "--token-ttl", "20", "--token-max-uses", "25",
                  "--last-page-key", "mixed")
        with Emulator(*flags, *faults) as emu:
            res = run_sync(emu, os.path.join(d, "faulty.db"), "--json")
            self.assertEqual(res.returncode, 0, res.stderr)
            log = emu.log_lines()
        self.assertEqual(dump(os.path.join(d, "faulty.db")), dump(os.path.join(d, "clean.db")))
        faulted = [l for l in log if l["fault"] in ("429", "503", "drop")]
        self.assertGreater(len(faulted), 10, "the faults did not happen")
        self.assertGreater(sum(1 for l in log if l["path"] == "/sso/oauth2/token"), 3,
                           "tokens were not renewed mid-run")
        retries = rows(os.path.join(d, "faulty.db"), "SELECT retries FROM sync_run")[0][0]
        self.assertGreaterEqual(retries, len([l for l in faulted if l["path"] != "/sso/oauth2/token"]))

    def test_gives_up_with_exit_75_when_dynatrace_keeps_failing(self):
        with Emulator("--days", "30", "--fault-503", "1") as emu:
            db = os.path.join(tmpdir(), "dtcost.db")
            res = run_sync(emu, db, "--retry-attempts", "3")
        self.assertEqual(res.returncode, 75, res.stderr)
        lines = res.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, res.stderr)
        self.assertIn("gave up after 3 attempts", lines[0])
        self.assertIn("run again later", lines[0])
        self.assertEqual(rows(db, "SELECT status FROM sync_run")[0][0], "failed")

    def test_malformed_json_names_the_endpoint(self):
        with Emulator("--days", "30", "--fault-malformed", "1") as emu:
            db = os.path.join(tmpdir(), "dtcost.db")
            res = run_sync(emu, db, "--retry-attempts", "2")
        self.assertEqual(res.returncode, 65, res.stderr)
        self.assertIn("malformed", res.stderr)
        self.assertRegex(res.stderr, r"GET http://127\.0\.0\.1:\d+/sub/v2/accounts/[0-9a-f-]+/subscriptions")


if __name__ == "__main__":
    unittest.main()
