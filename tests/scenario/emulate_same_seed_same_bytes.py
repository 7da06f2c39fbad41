"""Determinism: two emulators with the same seed, clock and flags answer every
endpoint with the same bytes (page keys included), and inject the same faults
in the same places; another seed gives other data and other faults."""
import unittest

from emu import ACCOUNT, Emulator

A = f"/sub/v2/accounts/{ACCOUNT}"
WINDOW = {"startTime": "2026-10-20T00:00:00Z", "endTime": "2026-11-03T00:00:00Z"}


def answers(emu):
    """The bytes of one answer per endpoint, in a fixed order."""
    tok = emu.token()
    subs = emu.subscriptions(tok)
    sub = subs[0]["uuid"]
    out = []

    def get(path, params=None):
        r = emu.get(path, tok, params)
        assert r.status == 200, (path, r.status, r.body[:200])
        out.append((path, r.body))
        return r.json()

    get(f"{A}/subscriptions")
    for s in subs:
        get(f"{A}/subscriptions/{s['uuid']}")
        get(f"{A}/subscriptions/{s['uuid']}/cost")
        get(f"{A}/subscriptions/{s['uuid']}/usage")
    get(f"{A}/subscriptions/forecast")
    get(f"{A}/subscriptions/events", {"startTime": "2026-01-01T00:00:00Z",
                                      "endTime": "2026-11-22T00:00:00Z"})
    get(f"{A}/subscriptions/{sub}/environments/cost", WINDOW)
    for kind in ("cost", "usage"):
        path = f"/sub/v3/accounts/{ACCOUNT}/subscriptions/{sub}/environments/{kind}"
        page = get(path, {**WINDOW, "page-size": 7})
        for _ in range(3):
            page = get(path, {**WINDOW, "page-size": 7, "page-key": page["nextPageKey"]})
    get(f"/sub/v1/accounts/{ACCOUNT}/rate-cards")
    envs = get(f"/env/v2/accounts/{ACCOUNT}/environments")
    for e in envs["data"]:
        r = emu.get(f"/v1/subscriptions/{sub}/cost-allocation", tok,
                    {"field": "COSTCENTER", "environment-id": e["id"],
                     "from": "2026-11-01", "to": "2026-11-08"})
        out.append(("cost-allocation " + e["id"], r.body))
    get(f"/env/v1/accounts/{ACCOUNT}/environments")
    get(f"/env/v2/accounts/{ACCOUNT}/clusters")
    return out


def fault_pattern(emu, n=120):
    return [emu.get(f"{A}/subscriptions", "emu.0", {"n": i}).status for i in range(n)]


class SameSeedSameBytes(unittest.TestCase):
    def test_every_endpoint_is_byte_identical_for_the_same_seed(self):
        with Emulator("--days", "90") as one, Emulator("--days", "90") as two:
            a, b = answers(one), answers(two)
        self.assertEqual(len(a), len(b))
        for (path, x), (_, y) in zip(a, b):
            self.assertEqual(x, y, f"{path} differs between two runs with the same seed")

    def test_another_seed_gives_other_data(self):
        with Emulator("--days", "90", seed=42) as one, Emulator("--days", "90", seed=7) as two:
            tok1, tok2 = one.token(), two.token()
            s1, s2 = one.subscriptions(tok1)[0]["uuid"], two.subscriptions(tok2)[0]["uuid"]
            c1 = one.get(f"{A}/subscriptions/{s1}/cost", tok1).json()["data"]
            c2 = two.get(f"{A}/subscriptions/{s2}/cost", tok2).json()["data"]
        self.assertNotEqual([d["value"] for d in c1], [d["value"] for d in c2])

    def test_faults_replay_with_the_seed(self):
        flags = ("--days", "30", "--fault-500", "0.2", "--fault-429", "0.1")
        with Emulator(*flags, seed=3) as one, Emulator(*flags, seed=3) as two, \
                Emulator(*flags, seed=4) as other:
            p1, p2, p3 = fault_pattern(one), fault_pattern(two), fault_pattern(other)
        self.assertEqual(p1, p2)
        self.assertIn(500, p1)
        self.assertIn(429, p1)
        self.assertNotEqual(p1, p3)


if __name__ == "__main__":
    unittest.main()
