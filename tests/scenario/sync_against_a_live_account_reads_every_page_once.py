"""Against an emulator that behaves like a live Dynatrace account (v3 pages of
at most 50 entries, the query repeated with every page-key, the boolean error
envelope, a per-account rate limit), `dtcost sync` ends with the same
database as against the documented behaviour (`--paging docs`), no request
is answered 400, no page is fetched twice, and the per-environment requests
are exactly the pages the records need. Concurrent walks stay within the
account's rate limit; when the limit is lower than --concurrency, the 429s
halve the requests in flight and the result is still identical."""
import collections
import json
import math
import os
import unittest
import urllib.request

from dtsync import dump, rows, run_sync
from emu import Emulator, tmpdir

FLAGS = ("--days", "60", "--environments", "6", "--capabilities", "8")


def v3_walks(log):
    """200 answers of v3 per-environment requests grouped by walk."""
    walks = collections.defaultdict(int)
    for line in log:
        if "/environments/" in line["path"] and line["path"].startswith("/sub/v3/") and line["status"] == 200:
            q = dict(p.split("=", 1) for p in line["query"].split("&") if "=" in p)
            walks[(line["path"], q["startTime"], q["endTime"])] += 1
    return walks


class SyncLive(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        d = tmpdir()
        cls.docs_db, cls.live_db = os.path.join(d, "docs.db"), os.path.join(d, "live.db")
        with Emulator(*FLAGS, "--paging", "docs", "--page-size-max", "1000") as emu:
            res = run_sync(emu, cls.docs_db)
            assert res.returncode == 0, res.stderr
        # 2 ms per answer: with instant loopback answers a loaded machine
        # could finish each request before the next walk sent one, and the
        # walks never overlapped (peak in flight 1, seen in the suite)
        with Emulator(*FLAGS, "--latency-ms", "2") as emu:
            cls.res = run_sync(emu, cls.live_db, "--json")
            cls.log = emu.log_lines()
            cls.state = json.loads(urllib.request.urlopen(f"{emu.base}/emu/state", timeout=10).read())

    def test_the_sync_succeeds_and_equals_the_documented_run(self):
        self.assertEqual(self.res.returncode, 0, self.res.stderr)
        self.assertEqual(dump(self.live_db), dump(self.docs_db))
        self.assertGreater(rows(self.live_db, "SELECT COUNT(*) FROM cost_allocation")[0][0], 1000)

    def test_no_request_is_refused_and_no_page_fetched_twice(self):
        self.assertEqual([l for l in self.log if l["status"] == 400], [])
        answered = collections.Counter((l["path"], l["query"]) for l in self.log
                                       if l["status"] == 200 and l["path"] != "/sso/oauth2/token")
        self.assertEqual([k for k, n in answered.items() if n > 1], [])

    def test_every_page_request_repeats_the_query_and_asks_for_50(self):
        v3 = [l for l in self.log if l["path"].startswith("/sub/v3/")]
        self.assertGreater(len(v3), 50)
        for l in v3:
            self.assertIn("startTime=", l["query"])
            self.assertIn("endTime=", l["query"])
            self.assertIn("page-size=50", l["query"])
        keyed = [l for l in v3 if "page-key=" in l["query"]]
        self.assertGreater(len(keyed), 10, "no walk needed a second page")

    def test_requests_are_the_pages_the_records_need(self):
        walks = v3_walks(self.log)
        self.assertGreater(len(walks), 4)
        for (path, start, end), pages in walks.items():
            sub = path.split("/")[6]
            table = "env_cost_day" if path.endswith("/cost") else "env_usage_day"
            n = rows(self.live_db, f"SELECT COUNT(*) FROM {table} WHERE subscription_uuid = ? AND day >= ? AND day < ?",
                     sub, start[:10], end[:10])[0][0]
            self.assertEqual(pages, max(1, math.ceil(n / 50)), (path, start, end, n))

    def test_walks_overlapped_within_the_accounts_limit(self):
        stats = list(self.state["rateLimit"].values())[0]
        self.assertGreaterEqual(stats["peakInflight"], 2, "walks did not run side by side")
        self.assertLessEqual(stats["peakInflight"], 4)
        # Loopback answers can outrun the emulator's 300 requests a second:
        # the first 429s halve the client's pace, and few follow.
        self.assertLessEqual(stats["limited"], len(self.log) // 100)

    def test_a_lower_account_limit_is_met_by_halving_and_still_equals(self):
        db = os.path.join(tmpdir(), "limited.db")
        # 5 ms per answer keeps 8 walks' requests in flight together even when
        # a loaded machine slows the client (without it the limit of 2 could
        # go unmet: measured, one failure in three runs at load 20)
        with Emulator(*FLAGS, "--rate-limit-inflight", "2", "--rate-limit-retry-after", "0",
                      "--latency-ms", "5") as emu:
            res = run_sync(emu, db, "--json", "--concurrency", "8")
            log = emu.log_lines()
        self.assertEqual(res.returncode, 0, res.stderr)
        limited = [l for l in log if l["fault"] == "ratelimit"]
        self.assertGreater(len(limited), 0, "the limit was never hit")
        # A client that kept 8 in flight against a limit of 2 would have 3 in
        # 4 of its requests refused; slowing down (halving, and the retry
        # backoff after each 429) keeps it near 1 in 5 (measured up to 21%
        # with 5 ms answers), so a third separates the two with room for
        # load. The backoff alone also passes this: halving is checked by
        # tests/unit/limiter.c.
        self.assertLess(len(limited), len(log) // 3, "the client did not slow down")
        self.assertEqual(dump(db), dump(self.docs_db))


if __name__ == "__main__":
    unittest.main()
