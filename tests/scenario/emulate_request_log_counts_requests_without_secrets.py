"""--log writes one JSON line per request (time, method, path, query, status,
latency, fault, bytes) so tests can count requests, and never a secret: not
the client secret from the form body, not bearer tokens, not Api-Tokens
passed in the query string."""
import json
import unittest

from emu import ACCOUNT, CLIENT_SECRET, CLUSTER_TOKEN, Emulator


class RequestLog(unittest.TestCase):
    def test_one_line_per_request_with_its_fields(self):
        with Emulator("--days", "30") as emu:
            tok = emu.token()
            subs = emu.subscriptions(tok)
            for s in subs:
                emu.get(f"/sub/v2/accounts/{ACCOUNT}/subscriptions/{s['uuid']}", tok)
            emu.get("/no/such/path")
            emu.get(f"/sub/v2/accounts/{ACCOUNT}/subscriptions/00000000-0000-0000-0000-000000000000", tok,
                    {"environmentIds": "a,b"})
            lines = emu.log_lines()
            raw = open(emu.log_path).read()
        self.assertEqual(len(lines), 2 + len(subs) + 2)
        self.assertEqual([l["method"] for l in lines[:2]], ["POST", "GET"])
        self.assertEqual(lines[0]["path"], "/sso/oauth2/token")
        self.assertEqual([l["status"] for l in lines], [200, 200] + [200] * len(subs) + [404, 404])
        self.assertEqual(lines[-1]["query"], "environmentIds=a,b")  # decoded
        for l in lines:
            self.assertEqual(set(l), {"time", "method", "path", "query", "status", "latency_ms", "delay_ms",
                                      "fault", "bytes"})
            self.assertIsInstance(l["latency_ms"], (int, float))
            self.assertGreaterEqual(l["latency_ms"], 0)
        self.assertNotIn(CLIENT_SECRET, raw)
        self.assertNotIn(tok, raw)
        self.assertNotIn("emulator-secret", raw)

    def test_api_token_in_the_query_is_redacted(self):
        with Emulator("--days", "30") as emu:
            emu.get("/api/cluster/v2/license/consumption/hour",
                    params={"api-token": CLUSTER_TOKEN, "startTs": "1"})
            raw = open(emu.log_path).read()
            line = json.loads(raw.splitlines()[0])
        self.assertNotIn(CLUSTER_TOKEN, raw)
        self.assertNotIn("emulator-cluster-token", raw)
        self.assertIn("api-token=", line["query"])
        self.assertIn("startTs=1", line["query"])


if __name__ == "__main__":
    unittest.main()
