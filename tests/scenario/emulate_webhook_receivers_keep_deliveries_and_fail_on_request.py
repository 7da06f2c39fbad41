"""The emulator's webhook receivers (docs/emulator.md, "Webhook receivers"),
which the push tests deliver to: a POST is kept with its body byte for byte
and its headers under lower-case names, answered 200 {"stored": N}; GET reads
back name, attempts, failures and the deliveries oldest first; DELETE forgets
them (204). `/fail` makes a receiver fail its next N attempts with a status
(429 with its Retry-After, -1 for none; 0 drops the connection: a receiver
that is down) and answer late; bad parameters get 400. `--webhook-fail`,
`--webhook-fail-status` start every receiver failing; `--webhook-max` caps a
body (413)."""
import http.client
import json
import time
import unittest

from emu import Emulator


class WebhookReceivers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator("--days", "3", "--webhook-max", "4096")

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def post(self, name, body, headers=None):
        return self.emu.request("POST", f"/emu/webhook/{name}", body=body,
                                headers={"Content-Type": "application/json", **(headers or {})})

    def read(self, name, keepalive=True):
        r = self.emu.request("GET", f"/emu/webhook/{name}", keepalive=keepalive)
        self.assertEqual(r.status, 200, r.body)
        return r.json()

    def fail(self, name, **params):
        return self.emu.request("POST", f"/emu/webhook/{name}/fail", params=params)

    def test_deliveries_are_kept_in_order_with_their_headers_and_read_back(self):
        first, second = b'{"a":1}', '{"b":"caf\u00e9 \\u0000 <x>"}'.encode()
        r = self.post("keep", first, {"X-Dtcost-Signature": "sha256=ab12"})
        self.assertEqual((r.status, r.json()), (200, {"stored": 1}))
        r = self.post("keep", second)
        self.assertEqual((r.status, r.json()), (200, {"stored": 2}))
        got = self.read("keep")
        self.assertEqual((got["name"], got["attempts"], got["failures"]), ("keep", 2, 0))
        self.assertEqual([d["body"].encode() for d in got["deliveries"]], [first, second])
        headers = got["deliveries"][0]["headers"]
        self.assertEqual(headers["x-dtcost-signature"], "sha256=ab12")
        self.assertEqual(headers["content-type"], "application/json")
        self.assertTrue(all(k == k.lower() for k in headers), headers)
        self.assertRegex(got["deliveries"][0]["received"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(self.read("other")["deliveries"], [])  # receivers are separate

    def test_delete_forgets_deliveries_and_counts(self):
        self.post("gone", b"{}")
        self.assertEqual(self.emu.request("DELETE", "/emu/webhook/gone").status, 204)
        self.assertEqual(self.read("gone"), {"name": "gone", "attempts": 0, "failures": 0, "deliveries": []})
        r = self.post("gone", b"{}")
        self.assertEqual(r.json(), {"stored": 1})  # numbering starts again

    def test_a_failing_receiver_fails_its_next_attempts_then_keeps_the_body(self):
        self.assertEqual(self.fail("flaky", count=2, status=500).status, 204)
        for _ in range(2):
            self.assertEqual(self.post("flaky", b"{}").status, 500)
        self.assertEqual(self.post("flaky", b'{"ok":1}').status, 200)
        got = self.read("flaky")
        self.assertEqual((got["attempts"], got["failures"]), (3, 2))
        self.assertEqual([d["body"] for d in got["deliveries"]], ['{"ok":1}'])

    def test_429_carries_its_retry_after_or_none(self):
        self.fail("busy", count=1, status=429, **{"retry-after": 7})
        r = self.post("busy", b"{}")
        self.assertEqual((r.status, r.headers.get("retry-after")), (429, "7"))
        self.fail("busy", count=1, status=429, **{"retry-after": -1})
        r = self.post("busy", b"{}")
        self.assertEqual((r.status, r.headers.get("retry-after")), (429, None))

    def test_a_receiver_that_is_down_drops_the_connection(self):
        self.fail("down", count=1, status=0)
        with self.assertRaises(http.client.IncompleteRead):  # cut halfway through the answer
            self.post("down", b"{}")
        got = self.read("down", keepalive=False)  # on a new connection
        self.assertEqual((got["attempts"], got["failures"], got["deliveries"]), (1, 1, []))

    def test_delay_answers_late_after_storing(self):
        self.fail("slow", **{"delay-ms": 400})
        t = time.monotonic()
        r = self.post("slow", b"{}")
        self.assertEqual(r.status, 200)
        self.assertGreaterEqual(time.monotonic() - t, 0.4)
        self.fail("slow", **{"delay-ms": 0})

    def test_bad_fail_parameters_are_refused(self):
        for params in ({"count": "-1"}, {"status": "600"}, {"delay-ms": "x"}, {"retry-after": "3601"},
                       {"count": ""}):
            r = self.fail("strict", **params)
            self.assertEqual(r.status, 400, params)
            self.assertIn(b"count=N", r.body)
        self.assertEqual(self.post("strict", b"{}").status, 200)  # nothing was set

    def test_a_body_over_webhook_max_gets_413(self):
        r = self.post("big", b"x" * 5000)
        self.assertEqual(r.status, 413, r.body)
        self.assertEqual(self.read("big")["deliveries"], [])


class ReceiversFailingFromTheStart(unittest.TestCase):
    def test_flags_make_every_receiver_fail_its_first_attempts(self):
        with Emulator("--days", "3", "--webhook-fail", "1", "--webhook-fail-status", "503") as emu:
            for name in ("a", "b"):
                h = {"Content-Type": "application/json"}
                self.assertEqual(emu.request("POST", f"/emu/webhook/{name}", body=b"{}", headers=h).status, 503)
                self.assertEqual(emu.request("POST", f"/emu/webhook/{name}", body=b"{}", headers=h).status, 200)
                got = json.loads(emu.request("GET", f"/emu/webhook/{name}").body)
                self.assertEqual((got["attempts"], got["failures"], len(got["deliveries"])), (2, 1, 1))


if __name__ == "__main__":
    unittest.main()
