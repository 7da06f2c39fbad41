"""The deprecated v2 per-environment endpoints answer with Deprecation, Sunset
and Link headers until the sunset, and 410 Gone once the emulated clock
passes it (--v2-sunset; the default is the contract's 2027-01-11)."""
import unittest

from emu import ACCOUNT, Emulator

WINDOW = {"startTime": "2026-11-10T00:00:00Z", "endTime": "2026-11-12T00:00:00Z"}


class V2Sunset(unittest.TestCase):
    def test_headers_before_and_410_after_the_sunset(self):
        with Emulator("--days", "30", "--v2-sunset", "2026-11-23T00:00:00Z") as emu:
            tok = emu.token()
            sub = emu.subscriptions(tok)[0]["uuid"]
            for kind in ("cost", "usage"):
                path = f"/sub/v2/accounts/{ACCOUNT}/subscriptions/{sub}/environments/{kind}"
                r = emu.get(path, tok, WINDOW)
                self.assertEqual(r.status, 200, r.body)
                self.assertEqual(r.headers["deprecation"], "Mon, 15 Jun 2026 00:00:00 GMT")
                self.assertEqual(r.headers["sunset"], "Mon, 23 Nov 2026 00:00:00 GMT")
                self.assertEqual(r.headers["link"],
                                 f"</sub/v3/accounts/{ACCOUNT}/subscriptions/{sub}/environment-{kind}>; "
                                 'rel="successor-version"')
            emu.advance(seconds=18 * 3600)  # 2026-11-23T00:00Z: the sunset itself
            tok = emu.token()
            for kind in ("cost", "usage"):
                path = f"/sub/v2/accounts/{ACCOUNT}/subscriptions/{sub}/environments/{kind}"
                r = emu.get(path, tok, WINDOW)
                self.assertEqual(r.status, 410, r.body)
                self.assertIs(r.json()["error"], True)  # the live boolean envelope
                self.assertIn("v3", r.headers["link"])
                # v3 keeps working.
                v3 = path.replace("/sub/v2/", "/sub/v3/")
                self.assertEqual(emu.get(v3, tok, WINDOW).status, 200)

    def test_default_sunset_is_the_contracts(self):
        with Emulator("--days", "30") as emu:
            tok = emu.token()
            sub = emu.subscriptions(tok)[0]["uuid"]
            r = emu.get(f"/sub/v2/accounts/{ACCOUNT}/subscriptions/{sub}/environments/cost", tok, WINDOW)
            self.assertEqual(r.headers["sunset"], "Mon, 11 Jan 2027 00:00:00 GMT")


if __name__ == "__main__":
    unittest.main()
