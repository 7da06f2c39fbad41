"""--latency-ms N delays every API answer (the SSO and the account, cluster and
ingest APIs; not /emu/*) by N ms with +-25 % jitter, drawn from the seed and
the request so two runs with the same seed wait alike. Off by default."""
import statistics
import time
import unittest

from emu import ACCOUNT, Emulator

SUBS = f"/sub/v2/accounts/{ACCOUNT}/subscriptions"


def timed(fn):
    t0 = time.monotonic()
    r = fn()
    return r, (time.monotonic() - t0) * 1000


class LatencyMs(unittest.TestCase):
    def test_api_answers_wait_between_three_quarters_and_five_quarters(self):
        with Emulator("--days", "30", "--latency-ms", "200") as emu:
            r, ms = timed(emu.token_response)
            self.assertEqual(r.status, 200)
            self.assertGreaterEqual(ms, 150)
            tok = r.json()["access_token"]
            waits = []
            for i in range(10):
                r, ms = timed(lambda: emu.get(SUBS, tok, {"n": i}))
                self.assertEqual(r.status, 200)
                waits.append(ms)
            self.assertGreaterEqual(min(waits), 150)
            self.assertLess(max(waits), 250 + 150)  # 1.25 x 200 plus generous slack
            self.assertGreater(max(waits) - min(waits), 15, f"no jitter: {waits}")
            # Errors wait too; the admin endpoints do not.
            r, ms = timed(lambda: emu.get(SUBS, "emu.0"))
            self.assertEqual(r.status, 401)
            self.assertGreaterEqual(ms, 150)
            r, ms = timed(lambda: emu.request("GET", "/emu/state"))
            self.assertLess(ms, 100)

    def test_the_same_seed_waits_alike(self):
        # Independent draws in [75, 125] ms would differ by 15 ms typically;
        # the same seed and requests give the same waits, up to scheduling noise.
        def waits(emu):
            return [timed(lambda: emu.get(SUBS, "emu.0", {"n": i}))[1] for i in range(20)]
        with Emulator("--days", "30", "--latency-ms", "100") as a, \
                Emulator("--days", "30", "--latency-ms", "100") as b:
            wa, wb = waits(a), waits(b)
        self.assertGreater(max(wa) - min(wa), 10, f"no jitter: {wa}")
        diffs = [abs(x - y) for x, y in zip(wa, wb)]
        self.assertLess(statistics.median(diffs), 6, (wa, wb))

    def test_no_delay_by_default(self):
        with Emulator("--days", "30") as emu:
            tok = emu.token()
            r, ms = timed(lambda: emu.get(SUBS, tok))
            self.assertEqual(r.status, 200)
            self.assertLess(ms, 100)


if __name__ == "__main__":
    unittest.main()
