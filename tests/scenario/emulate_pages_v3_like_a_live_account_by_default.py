"""v3 per-environment paging behaves as on live accounts unless --paging docs
asks for the documented rules: page-size above 50 is a 400 (the limit is a
flag), pages hold at most 50 entries by default, a page-key alone is a 400
"'endTime' must be provided", a page-key with the repeated query is honoured
and one with another query refused. --paging docs takes page-key alone and
clamps page-size. Cost allocation keeps its documented rule in both modes:
page-key alone, page-size clamped."""
import unittest

from emu import ACCOUNT, Emulator

WEEK = {"startTime": "2026-11-01T00:00:00Z", "endTime": "2026-11-08T00:00:00Z"}


def entries(page, kind="cost"):
    return sum(len(e[kind]) for e in page["data"])


def flat(pages, kind="cost"):
    return [(e["environmentId"], r["startTime"], r["capabilityKey"], r["value"])
            for p in pages for e in p["data"] for r in e[kind]]


class Setup:
    def start(self, *flags):
        emu = Emulator("--days", "60", *flags)
        self.addCleanup(emu.stop)
        tok = emu.token()
        sub = emu.subscriptions(tok)[0]["uuid"]
        return emu, tok, f"/sub/v3/accounts/{ACCOUNT}/subscriptions/{sub}/environments/cost", sub

    def assertError(self, r, fragment):
        self.assertEqual(r.status, 400, r.body)
        self.assertIs(r.json()["error"], True)
        self.assertIn(fragment, r.json()["message"])


class LivePaging(Setup, unittest.TestCase):
    def setUp(self):
        self.emu, self.tok, self.path, self.sub = self.start()

    def test_page_size_above_50_is_a_400(self):
        self.assertError(self.emu.get(self.path, self.tok, {**WEEK, "page-size": 51}),
                         "page-size must not be greater than 50")
        self.assertError(self.emu.get(self.path, self.tok, {**WEEK, "page-size": 1000}), "50")
        page = self.emu.get_json(self.path, self.tok, {**WEEK, "page-size": 50})
        self.assertEqual(entries(page), 50)

    def test_the_default_page_size_stays_within_the_limit(self):
        page = self.emu.get_json(self.path, self.tok, WEEK)
        self.assertTrue(page["nextPageKey"], "a week of six environments is more than one page")
        self.assertEqual(entries(page), 50)

    def test_page_key_alone_is_a_400_naming_the_missing_bound(self):
        first = self.emu.get_json(self.path, self.tok, {**WEEK, "page-size": 5})
        key = first["nextPageKey"]
        self.assertError(self.emu.get(self.path, self.tok, {"page-key": key}), "'endTime' must be provided")
        self.assertError(self.emu.get(self.path, self.tok, {"page-key": key, "endTime": WEEK["endTime"]}),
                         "'startTime' must be provided")

    def test_page_key_with_the_repeated_query_walks_every_page(self):
        q = {**WEEK, "page-size": 7}
        pages = self.emu.pages(self.path, self.tok, q)  # repeats q with each key
        self.assertGreater(len(pages), 5)
        self.assertTrue(all(entries(p) == 7 for p in pages[:-1]))
        # The same records as one page of 50 per request would give.
        whole = self.emu.pages(self.path, self.tok, WEEK)
        self.assertEqual(flat(pages), flat(whole))
        # The log shows each page request carried the whole query.
        for line in self.emu.log_lines():
            if line["path"] == self.path and "page-key=" in line["query"]:
                self.assertIn("startTime=", line["query"])
                self.assertIn("endTime=", line["query"])

    def test_page_key_of_another_query_is_a_400(self):
        q = {**WEEK, "page-size": 5, "environmentIds": ""}
        key = self.emu.get_json(self.path, self.tok, q)["nextPageKey"]
        for change in ({"startTime": "2026-11-02T00:00:00Z"}, {"endTime": "2026-11-09T00:00:00Z"},
                       {"page-size": 6}, {"capabilityKeys": "FULLSTACK_MONITORING"},
                       {"clusterIds": "c1"}):
            with self.subTest(change=change):
                self.assertError(self.emu.get(self.path, self.tok, {**q, **change, "page-key": key}),
                                 "page-key does not belong to this query")
        # Live compares the whole query: leaving page-size out means the default (50), not 5.
        self.assertError(self.emu.get(self.path, self.tok, {**WEEK, "page-key": key}), "page-size")
        self.assertEqual(self.emu.get(self.path, self.tok, {**q, "page-key": key}).status, 200)

    def test_the_limit_is_a_flag(self):
        emu, tok, path, _ = self.start("--v3-page-size-limit", "20")
        self.assertError(emu.get(path, tok, {**WEEK, "page-size": 21}), "greater than 20")
        self.assertEqual(entries(emu.get_json(path, tok, {**WEEK, "page-size": 20})), 20)
        self.assertEqual(entries(emu.get_json(path, tok, WEEK)), 20)

    def test_cost_allocation_keeps_its_documented_rule(self):
        env = self.emu.get_json(self.path, self.tok, WEEK)["data"][0]["environmentId"]
        ca = f"/v1/subscriptions/{self.sub}/cost-allocation"
        q = {"field": "PRODUCT", "environment-id": env, "from": "2026-11-01", "to": "2026-11-07"}
        first = self.emu.get_json(ca, self.tok, {**q, "page-size": 5})
        self.assertEqual(self.emu.get(ca, self.tok, {"page-key": first["nextPageKey"]}).status, 200)
        r = self.emu.get(ca, self.tok, {**q, "page-key": first["nextPageKey"]})
        self.assertError(r, "no other query parameter")
        big = self.emu.get_json(ca, self.tok, {**q, "page-size": 5000})  # clamped, not refused
        self.assertGreater(len(big["records"]), 50)


class DocumentedPaging(Setup, unittest.TestCase):
    def setUp(self):
        self.emu, self.tok, self.path, _ = self.start("--paging", "docs")

    def test_page_key_alone_works(self):
        first = self.emu.get_json(self.path, self.tok, {**WEEK, "page-size": 5})
        r = self.emu.get(self.path, self.tok, {"page-key": first["nextPageKey"]})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(entries(r.json()), 5)

    def test_page_key_with_the_same_query_works_too(self):
        q = {**WEEK, "page-size": 5}
        first = self.emu.get_json(self.path, self.tok, q)
        alone = self.emu.get(self.path, self.tok, {"page-key": first["nextPageKey"]})
        repeated = self.emu.get(self.path, self.tok, {**q, "page-key": first["nextPageKey"]})
        self.assertEqual(repeated.status, 200, repeated.body)
        self.assertEqual(repeated.body, alone.body)
        r = self.emu.get(self.path, self.tok, {**q, "startTime": "2026-11-02T00:00:00Z",
                                               "page-key": first["nextPageKey"]})
        self.assertError(r, "page-key does not belong to this query")

    def test_page_size_above_the_maximum_is_clamped(self):
        page = self.emu.get_json(self.path, self.tok, {**WEEK, "page-size": 51})
        self.assertEqual(entries(page), 51)
        page = self.emu.get_json(self.path, self.tok, {"startTime": "2026-10-01T00:00:00Z",
                                                       "endTime": "2026-11-20T00:00:00Z", "page-size": 5000})
        self.assertEqual(entries(page), 1000)  # --page-size-max
        self.assertEqual(entries(self.emu.get_json(self.path, self.tok, WEEK)), 100)  # --page-size-default


if __name__ == "__main__":
    unittest.main()
