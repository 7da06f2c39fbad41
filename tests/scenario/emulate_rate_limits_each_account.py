"""Account Management requests are rate-limited per account, as on live
accounts: at most --rate-limit-inflight (6) of one account's requests are
answered at once and at most --rate-limit-rps (300) start per second; beyond
either the answer is 429 with Retry-After (--rate-limit-retry-after, 1) in the
account error envelope, logged with fault "ratelimit". Every token of the
account shares the limit, other accounts do not. GET /emu/state reports the
peak in-flight count and the 429s per account, so a client's test can assert
it stayed within the limit. Requests run in threads, one connection each,
held open by --latency-ms."""
import http.client
import json
import threading
import time
import unittest
import urllib.parse

from emu import ACCOUNT, CLIENT_ID, CLIENT_SECRET, UAC_CLIENT_ID, UAC_CLIENT_SECRET, Emulator

SUBS = f"/sub/v2/accounts/{ACCOUNT}/subscriptions"


def at_once(emu, n, tokens, path=SUBS, account=ACCOUNT, method="GET", body=None):
    """n requests released together from n threads, each on its own
    connection; (status, Retry-After, parsed body) in thread order. tokens:
    one or a list to take in turn (none: no Authorization; a body is a form)."""
    tokens = tokens if isinstance(tokens, list) else [tokens]
    conns = [http.client.HTTPConnection("127.0.0.1", emu.port, timeout=30) for _ in range(n)]
    for c in conns:
        c.connect()  # connected before the barrier, so the requests leave together
    barrier = threading.Barrier(n)
    out = [None] * n

    def one(i):
        barrier.wait(timeout=10)
        headers = {"Authorization": f"Bearer {tokens[i % len(tokens)]}"} if tokens else \
            {"Content-Type": "application/x-www-form-urlencoded"}
        conns[i].request(method, path.replace(ACCOUNT, account), body=body, headers=headers)
        r = conns[i].getresponse()
        out[i] = (r.status, r.getheader("Retry-After"), json.loads(r.read()))
        conns[i].close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert all(o is not None for o in out), [o and o[0] for o in out]
    return out


def state(emu, account=ACCOUNT):
    return emu.request("GET", "/emu/state").json()["rateLimit"][account]


class InflightLimit(unittest.TestCase):
    def test_default_allows_six_at_once(self):
        with Emulator("--days", "30", "--latency-ms", "400") as emu:
            tok = emu.token()
            got = at_once(emu, 6, tok)
            self.assertEqual([s for s, _, _ in got], [200] * 6)
            st = state(emu)
            self.assertEqual(st["limited"], 0)
            self.assertEqual(st["peakInflight"], 6)

    def test_default_refuses_the_seventh_with_429_and_retry_after(self):
        with Emulator("--days", "30", "--latency-ms", "400") as emu:
            tok = emu.token()
            got = at_once(emu, 9, tok)
            limited = [g for g in got if g[0] == 429]
            self.assertEqual(sum(1 for g in got if g[0] == 200), 6, got)
            self.assertEqual(len(limited), 3)
            for _, retry_after, body in limited:
                self.assertEqual(retry_after, "1")
                self.assertIs(body["error"], True)
                self.assertIsNone(body["payload"])
                self.assertIn("rate limit", body["message"])
            st = state(emu)
            self.assertEqual(st["peakInflight"], 6)
            self.assertEqual(st["limited"], 3)
            self.assertEqual(st["requests"], 6)
            faults = [l["fault"] for l in emu.log_lines() if l["path"] == SUBS]
            self.assertEqual(sorted(faults), ["none"] * 6 + ["ratelimit"] * 3)

    def test_flags_set_the_limit_and_retry_after_and_all_tokens_share_it(self):
        with Emulator("--days", "30", "--latency-ms", "400", "--rate-limit-inflight", "2",
                      "--rate-limit-retry-after", "5") as emu:
            main = emu.token()
            uac = emu.token(client_id=UAC_CLIENT_ID, secret=UAC_CLIENT_SECRET)
            got = at_once(emu, 4, [main, uac])
            self.assertEqual(sorted(s for s, _, _ in got), [200, 200, 429, 429])
            self.assertEqual({r for s, r, _ in got if s == 429}, {"5"})
            self.assertEqual(state(emu)["peakInflight"], 2)
            # Within the limit nothing is refused, whatever the pace.
            for _ in range(3):
                self.assertEqual([s for s, _, _ in at_once(emu, 2, [main, uac])], [200, 200])
            self.assertEqual(state(emu)["limited"], 2)

    def test_accounts_do_not_share_a_limit(self):
        with Emulator("--days", "30", "--accounts", "2", "--latency-ms", "400",
                      "--rate-limit-inflight", "2") as emu:
            other = emu.request("GET", "/emu/state").json()["accounts"][1]
            tok1 = emu.token()
            tok2 = emu.token(client_id=other["clientId"], secret=other["clientId"] +
                             ".emulator-secret-not-for-production",
                             resource=f"urn:dtaccount:{other['uuid']}")
            barrier_results = {}

            def run(name, tok, account):
                barrier_results[name] = at_once(emu, 2, tok, account=account)

            t = [threading.Thread(target=run, args=("a", tok1, ACCOUNT)),
                 threading.Thread(target=run, args=("b", tok2, other["uuid"]))]
            for x in t:
                x.start()
            for x in t:
                x.join(timeout=30)
            self.assertEqual([s for s, _, _ in barrier_results["a"] + barrier_results["b"]], [200] * 4)
            self.assertEqual(state(emu)["peakInflight"], 2)
            self.assertEqual(state(emu, other["uuid"])["peakInflight"], 2)

    def test_limit_zero_is_off_and_the_sso_is_not_limited(self):
        with Emulator("--days", "30", "--latency-ms", "300", "--rate-limit-inflight", "0") as emu:
            tok = emu.token()
            self.assertEqual([s for s, _, _ in at_once(emu, 10, tok)], [200] * 10)
            self.assertEqual(state(emu)["peakInflight"], 10)
        with Emulator("--days", "30", "--latency-ms", "300", "--rate-limit-inflight", "1") as emu:
            # Token requests go to the SSO, not the account API: never limited.
            form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                           "client_secret": CLIENT_SECRET,
                                           "resource": f"urn:dtaccount:{ACCOUNT}"})
            got = at_once(emu, 4, [], path="/sso/oauth2/token", method="POST", body=form)
            self.assertEqual([s for s, _, _ in got], [200] * 4)


class PerSecondLimit(unittest.TestCase):
    def test_a_burst_beyond_the_rate_gets_429_then_the_bucket_refills(self):
        with Emulator("--days", "30", "--rate-limit-rps", "20", "--rate-limit-inflight", "0",
                      "--rate-limit-retry-after", "2") as emu:
            tok = emu.token()
            statuses = [emu.get(SUBS, tok).status for _ in range(30)]
            # A burst of 20 passes (the bucket holds one second); the rest of
            # 30 back-to-back requests mostly do not (it refills 20 per second).
            self.assertEqual(statuses[:20], [200] * 20)
            self.assertIn(429, statuses[20:])
            r = emu.get(SUBS, tok)
            if r.status == 200:  # refilled one request's worth meanwhile
                r = emu.get(SUBS, tok)
            self.assertEqual(r.status, 429)
            self.assertEqual(r.headers.get("retry-after"), "2")
            time.sleep(1.1)
            statuses = [emu.get(SUBS, tok).status for _ in range(15)]
            self.assertEqual(statuses, [200] * 15)
            self.assertEqual(state(emu)["limited"],
                             sum(1 for l in emu.log_lines() if l["fault"] == "ratelimit"))

    def test_within_the_rate_nothing_is_refused(self):
        with Emulator("--days", "30", "--rate-limit-rps", "20", "--rate-limit-inflight", "0") as emu:
            tok = emu.token()
            statuses = []
            for _ in range(40):  # 40 requests at 10 per second: half the rate
                statuses.append(emu.get(SUBS, tok).status)
                time.sleep(0.1)
            self.assertEqual(statuses, [200] * 40)
            self.assertEqual(state(emu)["limited"], 0)

    def test_default_rate_is_300_per_second(self):
        with Emulator("--days", "30", "--rate-limit-inflight", "0") as emu:
            tok = emu.token()
            t0 = time.monotonic()
            got = [s for s, _, _ in at_once(emu, 50, tok)]
            self.assertEqual(got, [200] * 50)  # well inside the burst
            # Back to back until the first 429: the bucket held 300, 50 are
            # spent, and it refilled 300 per second since t0.
            n = 0
            while n < 3000 and emu.get(SUBS, tok, {"n": n}).status == 200:
                n += 1
            elapsed = time.monotonic() - t0
            self.assertLess(n, 3000, "no 429 in 3000 back-to-back requests")
            self.assertGreaterEqual(n, 250)
            self.assertLessEqual(n, 250 + 300 * elapsed + 1)

    def test_unknown_tokens_are_not_counted(self):
        with Emulator("--days", "30", "--rate-limit-rps", "5") as emu:
            statuses = {emu.get(SUBS, "emu.0").status for _ in range(20)}
            self.assertEqual(statuses, {401})
            self.assertEqual(state(emu), {"peakInflight": 0, "limited": 0, "requests": 0})


if __name__ == "__main__":
    unittest.main()
