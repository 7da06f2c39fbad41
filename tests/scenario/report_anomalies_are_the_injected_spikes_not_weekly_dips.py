"""The anomaly detector against the emulator's ground truth: every cost spike
the emulator injects (GET /emu/spikes) on a fully booked day with six weeks
of history is reported, with its environment, capability and a jump of the
right size, and nothing else is: not the Monday after a quiet weekend, not a
late booking, not the partial booking of the last days."""
import datetime
import json
import os
import subprocess
import unittest

from dtsync import rows, synced_copy
from emu import DTCOST, Emulator, micro, tmpdir


class AnomaliesAreTheSpikes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = os.path.join(tmpdir(), "anomalies.db")
        synced_copy(cls.db, "--days", "200")  # the same account as the report --until test
        with Emulator("--days", "200") as emu:
            cls.spikes = emu.get_json("/emu/spikes", None)
        cls.today = datetime.date.fromisoformat(rows(cls.db, "SELECT MAX(day) FROM cost_day")[0][0])
        first = datetime.date.fromisoformat(rows(cls.db, "SELECT MIN(day) FROM env_cost_day")[0][0])
        # Six full weeks of history before the first day scored.
        cls.since = max(first + datetime.timedelta(days=42), cls.today - datetime.timedelta(days=150))
        r = subprocess.run([DTCOST, "report", "--db", cls.db, "--format", "json", "--since",
                            cls.since.isoformat()], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        cls.found = json.loads(r.stdout)["anomalies"]
        # Days still being booked (the emulator books over three runs) are not
        # final; a spike there may or may not show yet.
        cls.settled = cls.today - datetime.timedelta(days=2)

    def key(self, a):
        return (a["environment"], a["capability"], a["day"])

    def test_every_settled_spike_is_found(self):
        # A series (environment, capability) needs six weeks of its own
        # history: environments of a subscription that started recently have none.
        start = {(e, c): datetime.date.fromisoformat(d) for e, c, d in
                 rows(self.db, "SELECT environment_id, capability_key, MIN(day) FROM env_cost_day GROUP BY 1, 2")}
        expected = set()
        for s in self.spikes:
            day, k = datetime.date.fromisoformat(s["date"]), (s["environmentId"], s["capabilityKey"])
            if self.since <= day <= self.settled and k in start and (day - start[k]).days >= 42:
                expected.add((s["environmentId"], s["capabilityKey"], s["date"]))
        self.assertGreaterEqual(len(expected), 10, "too few spikes in range for the test to mean anything")
        found = {self.key(a) for a in self.found}
        self.assertEqual(expected - found, set(), "spikes the detector missed")

    def test_nothing_but_spikes_is_flagged(self):
        truth = {(s["environmentId"], s["capabilityKey"], s["date"]) for s in self.spikes}
        false = [a for a in self.found if self.key(a) not in truth]
        self.assertEqual(false, [], "days flagged that the emulator did not spike")

    def test_no_flag_is_a_monday_after_the_weekend_dip(self):
        truth = {(s["environmentId"], s["capabilityKey"], s["date"]) for s in self.spikes}
        mondays = [a for a in self.found if datetime.date.fromisoformat(a["day"]).weekday() == 0
                   and self.key(a) not in truth]
        self.assertEqual(mondays, [])
        # And weekends really are lower in this data, so the check has teeth.
        we, wd = rows(self.db, "SELECT AVG(CASE WHEN strftime('%w', day) IN ('0','6') THEN cost_micro END),"
                               " AVG(CASE WHEN strftime('%w', day) NOT IN ('0','6') THEN cost_micro END)"
                               " FROM env_cost_day")[0]
        self.assertLess(we, 0.9 * wd)

    def test_jump_is_the_days_cost_above_its_usual_level(self):
        factor = {(s["environmentId"], s["capabilityKey"], s["date"]): float(s["factor"]) for s in self.spikes}
        for a in self.found:
            cost = rows(self.db, "SELECT cost_micro FROM env_cost_day WHERE subscription_uuid = ? AND"
                                 " environment_id = ? AND capability_key = ? AND day = ?",
                        a["subscription"], a["environment"], a["capability"], a["day"])[0][0]
            self.assertEqual(micro(a["cost"]), cost)
            self.assertEqual(micro(a["jump"]), micro(a["cost"]) - micro(a["expected"]))
            # The spike multiplies a normal day (noise +-6%) by the factor.
            ratio = a["cost"] / a["expected"]
            f = factor[self.key(a)]
            self.assertGreater(ratio, f * 0.85, a)
            self.assertLess(ratio, f * 1.15, a)


if __name__ == "__main__":
    unittest.main()
