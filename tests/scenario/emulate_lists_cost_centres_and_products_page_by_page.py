"""GET /v1/accounts/{a}/settings/costcenters and .../products list the defined
values of the two cost-allocation fields, page-number paged (`page` from 1,
`page-size`, default 2, `hasNextPage`): every key cost allocation uses plus
at least one that never receives cost, so a client can show a cost centre or
product with no cost. Scope account-uac-read; the token's account only."""
import unittest

from emu import ACCOUNT, ENV_CLIENT_ID, ENV_CLIENT_SECRET, Emulator

OTHER = "00000000-0000-4000-8000-000000000000"
LISTS = {"COSTCENTER": "costcenters", "PRODUCT": "products"}


class CostCentresAndProducts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator("--days", "30")
        cls.tok = cls.emu.token()

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def walk(self, name, page_size=None):
        """Every page from 1 while hasNextPage (bounded)."""
        pages = []
        for page in range(1, 50):
            params = {"page": page}
            if page_size:
                params["page-size"] = page_size
            doc = self.emu.get_json(f"/v1/accounts/{ACCOUNT}/settings/{name}", self.tok, params)
            self.assertEqual(set(doc), {"records", "hasNextPage"})
            pages.append(doc)
            if not doc["hasNextPage"]:
                return pages
        self.fail("hasNextPage never became false")

    def allocated_keys(self, field):
        """Keys that received cost in any environment of any subscription."""
        keys = set()
        envs = [e["id"] for e in self.emu.get_json(f"/env/v2/accounts/{ACCOUNT}/environments", self.tok)["data"]]
        for s in self.emu.subscriptions(self.tok):
            for env in envs:
                r = self.emu.get(f"/v1/subscriptions/{s['uuid']}/cost-allocation", self.tok,
                                 {"field": field, "environment-id": env, "from": "2026-11-01", "to": "2026-11-07"})
                if r.status != 200:
                    continue  # not that subscription's environment, or no cost allocation
                for page in self.emu.pages(f"/v1/subscriptions/{s['uuid']}/cost-allocation", self.tok,
                                           {"field": field, "environment-id": env, "from": "2026-11-01",
                                            "to": "2026-11-07"}, page_size=200):
                    keys |= {rec["key"] for rec in page["records"] if rec["costs"] != 0}
        return keys

    def test_lists_every_allocated_key_and_one_without_cost(self):
        for field, name in LISTS.items():
            with self.subTest(name=name):
                pages = self.walk(name)
                listed = [rec["key"] for p in pages for rec in p["records"]]
                self.assertEqual(len(listed), len(set(listed)), listed)
                used = self.allocated_keys(field)
                self.assertTrue(used)
                self.assertLessEqual(used, set(listed))
                self.assertGreaterEqual(len(set(listed) - used), 1, "no key without cost")

    def test_pages_are_numbered_from_one_with_a_small_default_size(self):
        for name in LISTS.values():
            with self.subTest(name=name):
                pages = self.walk(name)
                self.assertGreaterEqual(len(pages), 3)
                self.assertTrue(all(len(p["records"]) == 2 for p in pages[:-1]))
                self.assertTrue(all(p["hasNextPage"] for p in pages[:-1]))
                self.assertFalse(pages[-1]["hasNextPage"])
                whole = self.walk(name, page_size=100)
                self.assertEqual(len(whole), 1)
                self.assertEqual([r["key"] for p in pages for r in p["records"]], [r["key"] for r in whole[0]["records"]])
                # No page parameter: the first page. Past the end: empty.
                first = self.emu.get_json(f"/v1/accounts/{ACCOUNT}/settings/{name}", self.tok)
                self.assertEqual(first, pages[0])
                past = self.emu.get_json(f"/v1/accounts/{ACCOUNT}/settings/{name}", self.tok, {"page": 99})
                self.assertEqual(past, {"records": [], "hasNextPage": False})

    def test_errors(self):
        path = f"/v1/accounts/{ACCOUNT}/settings/costcenters"
        for params in ({"page": 0}, {"page": "x"}, {"page-size": 0}):
            r = self.emu.get(path, self.tok, params)
            self.assertEqual(r.status, 400, params)
            self.assertIs(r.json()["error"], True)
        self.assertEqual(self.emu.get(path, None).status, 401)
        self.assertEqual(self.emu.get(path.replace(ACCOUNT, OTHER), self.tok).status, 401)
        env_only = self.emu.token(client_id=ENV_CLIENT_ID, secret=ENV_CLIENT_SECRET)
        self.assertEqual(self.emu.get(path, env_only).status, 403)


if __name__ == "__main__":
    unittest.main()
