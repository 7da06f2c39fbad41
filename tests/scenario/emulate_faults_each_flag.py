"""Each fault flag of `dtcost emulate` produces the failure it names, and only
when switched on: 429 with (or without) Retry-After, 500, 503, a connection
closed halfway through the body, slow answers, malformed JSON, a token that
expires mid-pagination, and the three shapes of a last page's nextPageKey."""
import json
import socket
import time
import unittest

from emu import ACCOUNT, Emulator

SUBS = f"/sub/v2/accounts/{ACCOUNT}/subscriptions"
WINDOW = {"startTime": "2026-11-01T00:00:00Z", "endTime": "2026-11-08T00:00:00Z"}


def raw_get(port, path, timeout=10):
    """GET over a plain socket, reading until the server closes; returns
    (status, headers, body bytes received). Connection: close so EOF ends it."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


class FaultFlags(unittest.TestCase):
    def subs_status(self, emu, token="emu.0"):
        return emu.get(SUBS, token)

    def test_no_fault_flag_means_no_faults(self):
        with Emulator("--days", "30") as emu:
            tok = emu.token()
            statuses = {emu.get(f"{SUBS}", tok, {"n": i}).status for i in range(60)}
            self.assertEqual(statuses, {200})
            self.assertEqual({l["fault"] for l in emu.log_lines()}, {"none"})

    def test_429_carries_retry_after(self):
        with Emulator("--days", "30", "--fault-429", "1", "--retry-after", "7") as emu:
            r = emu.token_response()
            self.assertEqual(r.status, 429)
            self.assertEqual(r.headers.get("retry-after"), "7")
            self.assertEqual(r.json()["error"]["code"], 429)  # SSO faults: the nested form
            r = self.subs_status(emu)
            self.assertEqual(r.status, 429)
            self.assertEqual(r.headers.get("retry-after"), "7")
            self.assertEqual(r.json(), {"error": True, "message": "Too many requests", "payload": None})

    def test_429_without_retry_after(self):
        with Emulator("--days", "30", "--fault-429", "1", "--retry-after", "-1") as emu:
            r = self.subs_status(emu)
            self.assertEqual(r.status, 429)
            self.assertNotIn("retry-after", r.headers)

    def test_500_and_503(self):
        for flag, status in (("--fault-500", 500), ("--fault-503", 503)):
            with self.subTest(flag=flag), Emulator("--days", "30", flag, "1") as emu:
                r = self.subs_status(emu)
                self.assertEqual(r.status, status)
                self.assertIs(r.json()["error"], True)  # account API: the live envelope
                self.assertEqual(emu.token_response().status, status)

    def test_drop_closes_the_connection_halfway_through_the_body(self):
        with Emulator("--days", "30") as clean, Emulator("--days", "30", "--fault-drop", "1") as emu:
            # Every API route is faulted, the token endpoint too, so this uses
            # the 401 answer to an unauthenticated request: a body worth cutting.
            status, headers, body = raw_get(emu.port, SUBS)
            declared = int(headers["content-length"])
            self.assertEqual(status, 401)
            self.assertGreater(declared, 10)
            self.assertLess(len(body), declared, "the body was not cut short")
            status, headers, body = raw_get(clean.port, SUBS)
            self.assertEqual(len(body), int(headers["content-length"]))
            self.assertEqual([l["fault"] for l in emu.log_lines()], ["drop"])

    def test_slow_answers_wait_slow_ms(self):
        with Emulator("--days", "30", "--fault-slow", "1", "--slow-ms", "400") as emu:
            t0 = time.monotonic()
            r = emu.token_response()
            elapsed = time.monotonic() - t0
            self.assertEqual(r.status, 200)
            self.assertGreaterEqual(elapsed, 0.4)
            self.assertEqual(emu.log_lines()[-1]["fault"], "slow")

    def test_malformed_json_is_200_with_a_body_that_does_not_parse(self):
        with Emulator("--days", "30", "--fault-malformed", "1") as emu:
            r = emu.token_response()
            self.assertEqual(r.status, 200)
            with self.assertRaises(json.JSONDecodeError):
                json.loads(r.body)
            self.assertEqual(emu.log_lines()[-1]["fault"], "malformed")

    def test_a_share_of_requests_fails_and_a_retry_can_succeed(self):
        with Emulator("--days", "30", "--fault-503", "0.3") as emu:
            failed = 0
            for i in range(200):
                r = emu.get(SUBS, "emu.0", {"n": i})
                self.assertIn(r.status, (401, 503))
                if r.status == 503:
                    failed += 1
                    # Retrying the same request is a new attempt with its own draw.
                    for _ in range(20):
                        if emu.get(SUBS, "emu.0", {"n": i}).status != 503:
                            break
                    else:
                        self.fail(f"request {i} failed 21 times in a row at p=0.3")
            self.assertTrue(30 <= failed <= 90, failed)

    def test_token_expires_mid_pagination(self):
        with Emulator("--days", "30", "--token-max-uses", "3") as emu:
            tok = emu.token()
            sub = emu.subscriptions(tok)[0]["uuid"]  # use 1
            path = f"/sub/v3/accounts/{ACCOUNT}/subscriptions/{sub}/environments/cost"
            first = emu.get_json(path, tok, {**WINDOW, "page-size": 1})  # use 2
            second = emu.get_json(path, tok, {**WINDOW, "page-size": 1, "page-key": first["nextPageKey"]})  # use 3
            r = emu.get(path, tok, {**WINDOW, "page-size": 1, "page-key": second["nextPageKey"]})
            self.assertEqual(r.status, 401)
            # A fresh token resumes from the same page key.
            tok2 = emu.token()
            self.assertEqual(emu.get(path, tok2, {**WINDOW, "page-size": 1,
                                                  "page-key": second["nextPageKey"]}).status, 200)

    def last_pages(self, mode, queries=8):
        """Last page of several v3 queries, as raw JSON objects."""
        with Emulator("--days", "30", "--last-page-key", mode) as emu:
            tok = emu.token()
            sub = emu.subscriptions(tok)[0]["uuid"]
            path = f"/sub/v3/accounts/{ACCOUNT}/subscriptions/{sub}/environments/cost"
            out = []
            for i in range(queries):
                window = {"startTime": f"2026-11-{1 + i:02d}T00:00:00Z",
                          "endTime": f"2026-11-{3 + i:02d}T00:00:00Z"}
                pages = emu.pages(path, tok, window, page_size=5)
                self.assertGreater(len(pages), 1)
                for p in pages[:-1]:
                    self.assertTrue(p["nextPageKey"])
                out.append(pages[-1])
            return out

    def test_last_page_key_null_absent_empty_and_mixed(self):
        for mode, expect in (("null", None), ("empty", "")):
            with self.subTest(mode=mode):
                for last in self.last_pages(mode, 2):
                    self.assertIn("nextPageKey", last)
                    self.assertEqual(last["nextPageKey"], expect)
        with self.subTest(mode="absent"):
            for last in self.last_pages("absent", 2):
                self.assertNotIn("nextPageKey", last)
        with self.subTest(mode="mixed"):
            kinds = {("absent" if "nextPageKey" not in p else repr(p["nextPageKey"]))
                     for p in self.last_pages("mixed")}
            self.assertGreaterEqual(len(kinds), 2, kinds)
            self.assertLessEqual(kinds, {"absent", "None", "''"})


if __name__ == "__main__":
    unittest.main()
