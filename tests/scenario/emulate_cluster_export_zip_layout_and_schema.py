"""The Managed cluster license export is an outer ZIP holding an inner ZIP
(one ConsumptionExport JSON per hour), a signature and a log; every field of
the contract's schema is there with its type (epoch-ms integers, osiId a
signed 64-bit integer beyond 2^53, nulls where the contract allows them); the
data covers the host-unit table's edges and the 5-minute rule; /hour answers
the same document; and the same seed gives the same bytes."""
import hashlib
import hmac
import io
import json
import unittest
import zipfile

from emu import CLUSTER_TOKEN, Emulator

EXPORT = "/api/cluster/v2/license/consumption"
T0 = 1763596800000  # 2025-11-20T00:00:00Z
HOUR = 3600000
GIB = 1024 ** 3
INT, STR, BOOL, NUM, NULL, LIST = int, str, bool, (int, float), type(None), list

ENV_FIELDS = {
    "environmentUuid": (STR,), "visits": (INT,), "mobileSessions": (INT,),
    "totalRUMUserPropertiesUsed": (INT,), "newProblems": (INT,), "hostUsages": (LIST,),
    "downloads": (LIST,), "syntheticUsages": (LIST,), "syntheticBillingUsage": (LIST,),
    "customMetrics": (LIST, NULL), "davisDataUnits": (LIST,), "trial": (BOOL,), "internalUse": (BOOL,),
    "highAvailabilityCluster": (BOOL,), "logStorageUsageBytes": (INT,), "logUploadVolumeBytes": (INT,),
    "sessionReplays": (INT,), "mobileSessionReplays": (INT,),
}
HOST_FIELDS = {
    "osiId": (INT,), "hostName": (STR, NULL), "hostCategory": (STR,), "agentUsages": (LIST,),
    "infrastructureOnly": (BOOL,), "paas": (BOOL,), "passMemoryLimit": (INT, NULL),
    "vendorTypeId": (INT, NULL), "hostMemoryBytes": (INT,), "premiumLogAnalytics": (BOOL,),
    "hasContainers": (BOOL,),
}
AGENT_FIELDS = {"agentId": (INT,), "agentTypeId": (INT,), "agentUsageRecords": (LIST,),
                "networkTraffic": (INT, NULL)}
SYNTH_FIELDS = {"monitorTypeId": (INT,), "testId": (INT,), "publicExecutions": (INT,),
                "privateExecutions": (INT,)}


def export(emu, start, end, token=CLUSTER_TOKEN):
    return emu.get(EXPORT, headers={"Authorization": f"Api-Token {token}"},
                   params={"startTs": start, "endTs": end})


def open_export(body):
    outer = zipfile.ZipFile(io.BytesIO(body))
    names = outer.namelist()
    inner_name = [n for n in names if n.endswith(".zip")]
    assert len(inner_name) == 1, names
    inner_bytes = outer.read(inner_name[0])
    inner = zipfile.ZipFile(io.BytesIO(inner_bytes))
    hours = {n: json.loads(inner.read(n)) for n in inner.namelist()}
    return outer, inner_bytes, hours


class ClusterExport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator("--days", "60", "--hosts", "40")
        r = export(cls.emu, T0, T0 + 6 * HOUR)
        assert r.status == 200, r.body[:300]
        cls.body = r.body
        cls.outer, cls.inner_bytes, cls.hours = open_export(r.body)

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def typed(self, obj, fields, where):
        for k, types in fields.items():
            self.assertIn(k, obj, f"{where} lacks {k}")
            v = obj[k]
            ok = any(type(v) is t if t in (bool, type(None)) else
                     (isinstance(v, t) and not isinstance(v, bool)) for t in types)
            self.assertTrue(ok, f"{where}.{k} = {v!r} is not {types}")

    def test_outer_zip_holds_inner_zip_signature_and_log(self):
        names = self.outer.namelist()
        self.assertEqual(len(names), 3)
        self.assertEqual({n.rsplit(".", 1)[1] for n in names}, {"zip", "signature", "log"})
        self.assertEqual(sorted(self.hours), [f"{T0 + i * HOUR}.json" for i in range(6)])
        sig = self.outer.read([n for n in names if n.endswith(".signature")][0]).decode()
        self.assertRegex(sig, r"^HMAC-SHA256 [0-9a-f]{64}\n$")
        log = self.outer.read([n for n in names if n.endswith(".log")][0]).decode()
        self.assertIn("6 hours exported", log)
        self.assertIsNone(self.outer.testzip())

    def test_every_schema_field_with_its_type(self):
        for name, doc in self.hours.items():
            start = int(name.split(".")[0])
            self.assertEqual(doc["timeFrameStart"], start)
            self.assertEqual(doc["timeFrameEnd"], start + HOUR)
            self.assertIsInstance(doc["clusterUuid"], str)
            envs = doc["environmentBillingEntries"]
            self.assertEqual(len(envs), 3)
            for e in envs:
                self.typed(e, ENV_FIELDS, "environment")
                for s in e["syntheticBillingUsage"]:
                    self.typed(s, SYNTH_FIELDS, "syntheticBillingUsage")
                for d in e["davisDataUnits"]:
                    self.assertIn(d["pool"], ("Metrics", "Log", "Events", "Traces", "Serverless"))
                    self.assertIsInstance(d["total"], (int, float))
                for m in e["customMetrics"] or []:
                    self.assertIsInstance(m["source"], str)
                    self.assertIsInstance(m["total"], int)
                for h in e["hostUsages"]:
                    self.typed(h, HOST_FIELDS, "host")
                    for a in h["agentUsages"]:
                        self.typed(a, AGENT_FIELDS, "agent")
                        for rec in a["agentUsageRecords"]:
                            self.assertIsInstance(rec["startTime"], int)
                            self.assertTrue(start <= rec["startTime"] < rec["endTime"] <= start + HOUR)

    def hosts(self):
        for doc in self.hours.values():
            for e in doc["environmentBillingEntries"]:
                for h in e["hostUsages"]:
                    yield e, h

    def test_osi_ids_are_signed_64_bit_beyond_2_pow_53_and_stable(self):
        ids = [h["osiId"] for _, h in self.hosts()]
        self.assertTrue(all(2 ** 53 < abs(i) < 2 ** 63 for i in ids))
        self.assertTrue(any(i < 0 for i in ids) and any(i > 0 for i in ids))
        # The same host keeps its id across hours: ids per hour are the same set.
        per_hour = [{h["osiId"] for e in d["environmentBillingEntries"] for h in e["hostUsages"]}
                    for d in self.hours.values()]
        self.assertGreater(len(set.intersection(*per_hour)), 80)  # of 120; a few are off some hours
        # The text holds the exact integer (no float rounding on the way).
        raw = zipfile.ZipFile(io.BytesIO(self.inner_bytes)).read(sorted(self.hours)[0]).decode()
        self.assertIn(f'"osiId":{ids[0]}', raw)

    def test_data_covers_rule_edges_modes_and_nulls(self):
        mem = {h["hostMemoryBytes"] for _, h in self.hosts()}
        for edge in (4 * GIB, 8 * GIB, 16 * GIB, 112 * GIB):
            self.assertIn(edge, mem)
            self.assertIn(edge + 1, mem)
        self.assertIn(int(1.6 * GIB), mem)
        self.assertTrue(any(m > 112 * GIB + 1 for m in mem))
        self.assertTrue(any(h["infrastructureOnly"] for _, h in self.hosts()))
        paas = [h for _, h in self.hosts() if h["paas"]]
        self.assertTrue(any(h["passMemoryLimit"] for h in paas))
        self.assertTrue(any(h["passMemoryLimit"] is None for h in paas))
        self.assertTrue(any(h["hostName"] is None for _, h in self.hosts()))
        self.assertTrue(any(d["environmentBillingEntries"][2]["customMetrics"] is None
                            for d in self.hours.values()))
        # OS-module minutes per host-hour: under, exactly at and over five.
        minutes = set()
        for _, h in self.hosts():
            for a in h["agentUsages"]:
                if a["agentTypeId"] == 1:
                    minutes.add(sum(r["endTime"] - r["startTime"] for r in a["agentUsageRecords"]) / 60000)
        self.assertTrue(any(m < 5 for m in minutes), minutes)
        self.assertIn(5.0, minutes)
        self.assertIn(60.0, minutes)
        self.assertTrue(any(5 < m < 60 for m in minutes), minutes)

    def test_hour_endpoint_answers_the_same_document(self):
        r = self.emu.get(EXPORT + "/hour", headers={"Authorization": f"Api-Token {CLUSTER_TOKEN}"},
                         params={"startTs": T0 + 2 * HOUR + 1234})  # floored to the hour
        self.assertEqual(r.status, 200, r.body[:200])
        self.assertEqual(r.json(), self.hours[f"{T0 + 2 * HOUR}.json"])

    def test_same_seed_same_bytes_other_seed_other_data(self):
        with Emulator("--days", "60", "--hosts", "40") as twin, \
                Emulator("--days", "60", "--hosts", "40", seed=9) as other:
            self.assertEqual(export(twin, T0, T0 + 6 * HOUR).body, self.body)
            self.assertNotEqual(export(other, T0, T0 + 6 * HOUR).body, self.body)
        self.assertEqual(export(self.emu, T0, T0 + 6 * HOUR).body, self.body)


if __name__ == "__main__":
    unittest.main()
