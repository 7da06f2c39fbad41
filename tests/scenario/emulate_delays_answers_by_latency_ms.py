"""--latency-ms N delays every API answer (the SSO and the account, cluster and
ingest APIs; not /emu/*) by N ms with +-25 % jitter, drawn from the seed and
the request so two runs with the same seed wait alike. Off by default.

The drawn wait of each answer is in the request log (`delay_ms`); the test
checks the draws exactly and the wall clock only from below (an answer can
never come sooner than its wait), so a loaded machine cannot fail it."""
import time
import unittest

from emu import ACCOUNT, Emulator

SUBS = f"/sub/v2/accounts/{ACCOUNT}/subscriptions"


def timed(fn):
    t0 = time.monotonic()
    r = fn()
    return r, (time.monotonic() - t0) * 1000


def delays(emu):
    """(path, drawn delay in ms) of every logged request, in order."""
    return [(line["path"], float(line["delay_ms"])) for line in emu.log_lines()]


class LatencyMs(unittest.TestCase):
    def test_api_answers_wait_between_three_quarters_and_five_quarters(self):
        with Emulator("--days", "30", "--latency-ms", "200") as emu:
            r, ms = timed(emu.token_response)
            self.assertEqual(r.status, 200)
            self.assertGreaterEqual(ms, 150)
            tok = r.json()["access_token"]
            for i in range(10):
                r, ms = timed(lambda: emu.get(SUBS, tok, {"n": i}))
                self.assertEqual(r.status, 200)
                self.assertGreaterEqual(ms, 150)
            # Errors wait too; the admin endpoints do not.
            r, ms = timed(lambda: emu.get(SUBS, "emu.0"))
            self.assertEqual(r.status, 401)
            self.assertGreaterEqual(ms, 150)
            emu.request("GET", "/emu/state")
            log = delays(emu)
            api = [d for p, d in log if not p.startswith("/emu/")]
            self.assertEqual(len(api), 12, log)
            self.assertTrue(all(150 <= d <= 250 for d in api), api)
            self.assertGreater(max(api) - min(api), 15, f"no jitter: {api}")
            self.assertEqual([d for p, d in log if p == "/emu/state"], [0.0])

    def test_the_same_seed_waits_alike(self):
        def waits(emu):
            for i in range(20):
                emu.get(SUBS, "emu.0", {"n": i})
            return [d for _, d in delays(emu)]
        with Emulator("--days", "30", "--latency-ms", "100") as a, \
                Emulator("--days", "30", "--latency-ms", "100") as b, \
                Emulator("--days", "30", "--latency-ms", "100", seed=7) as c:
            wa, wb, wc = waits(a), waits(b), waits(c)
        self.assertGreater(max(wa) - min(wa), 10, f"no jitter: {wa}")
        self.assertEqual(wa, wb)
        self.assertNotEqual(wa, wc, "another seed draws other waits")

    def test_no_delay_by_default(self):
        with Emulator("--days", "30") as emu:
            tok = emu.token()
            r = emu.get(SUBS, tok)
            self.assertEqual(r.status, 200)
            self.assertEqual({d for _, d in delays(emu)}, {0.0})


if __name__ == "__main__":
    unittest.main()
