"""/metrics passes `promtool check metrics` (the Prometheus naming lint: a
gauge named like a counter, a non-base unit, a missing HELP all fail it, and a
deliberately bad exposition proves the lint is live); display names ride only
on _info series; dtcost_build_info carries the version; the budget gauges
agree with the database (runs-out = last day + remaining / burn); the cost
series cap keeps the largest series and sums the rest into "other" without
losing a cent; docs/deploy/dtcost-alerts.yml passes `promtool check rules`
and `promtool test rules` on the fixtures in tests/data/prometheus/."""
import http.client
import math
import os
import shutil
import subprocess
import sys
import unittest

from emu import DTCOST, Emulator, tmpdir
from dtsync import rows, run_sync
import promtext

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PROMTOOL = shutil.which("promtool")


def scrape(db, *args):
    """Start `dtcost serve --no-sync` on the database, read /metrics once, stop it."""
    proc = subprocess.Popen([DTCOST, "serve", "--no-sync", "--db", db, "--listen", "127.0.0.1:0", "--interval",
                             "3600", "--quiet", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        port = int(proc.stdout.readline().decode().strip())
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
        c.close()
        return text
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def value(fams, family, **labels):
    """The one sample of family whose labels include these (a label may be called name)."""
    got = [v for l, v in fams[family]["samples"] if all(l.get(k) == w for k, w in labels.items())]
    if len(got) != 1:
        raise AssertionError(f"{family}{labels}: {len(got)} samples")
    return got[0]


def promtool(*args, stdin=None):
    return subprocess.run([PROMTOOL, *args], input=stdin, capture_output=True, text=True, timeout=120)


class Metrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with Emulator("--days", "60", now="2026-11-22T06:00:00Z") as emu:
            cls.dir = tmpdir()
            cls.db = os.path.join(cls.dir, "dtcost.db")
            r = run_sync(emu, cls.db)
            assert r.returncode == 0, r.stderr
        cls.text = scrape(cls.db)
        cls.fams = promtext.parse(cls.text)

    def test_promtool_lint_passes_and_catches_a_bad_name(self):
        r = promtool("check", "metrics", stdin=self.text)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        bad = "# HELP dtcost_budget_total x\n# TYPE dtcost_budget_total gauge\ndtcost_budget_total 1\n"
        r = promtool("check", "metrics", stdin=bad)
        self.assertNotEqual(r.returncode, 0, "promtool's lint did not flag a gauge named _total")

    def test_names_only_on_info_series(self):
        for name, fam in self.fams.items():
            for labels, _ in fam["samples"]:
                if not name.endswith("_info"):
                    self.assertNotIn("name", labels, name)
                    self.assertNotIn("environment_name", labels, name)
            if fam["type"] != "counter":
                self.assertFalse(name.endswith("_total"), name)
        envs = rows(self.db, "SELECT environment_id, name FROM environment WHERE name <> ''")
        self.assertTrue(envs)
        for env, name in envs:
            self.assertEqual(value(self.fams, "dtcost_environment_info", environment=env, name=name), 1)
        version = subprocess.run([DTCOST, "--version"], capture_output=True, text=True).stdout.split()[1]
        self.assertEqual(promtext.value(self.fams, "dtcost_build_info", version=version), 1)

    def test_budget_gauges_agree_with_the_database(self):
        subs = rows(self.db, "SELECT uuid, name, currency, budget_total_micro, budget_used_micro, period_end "
                             "FROM subscription WHERE status <> 'EXPIRED'")
        self.assertTrue(subs)
        runs_out_seen = 0
        for uuid, name, cur, total, used, period_end in subs:
            self.assertEqual(value(self.fams, "dtcost_subscription_info", subscription=uuid, name=name,
                                            currency=cur), 1)
            self.assertAlmostEqual(promtext.value(self.fams, "dtcost_budget", subscription=uuid), total / 1e6, 6)
            self.assertAlmostEqual(promtext.value(self.fams, "dtcost_budget_remaining", subscription=uuid),
                                   (total - used) / 1e6, 6)
            burn = promtext.value(self.fams, "dtcost_budget_burn_rate_per_day", subscription=uuid)
            self.assertGreater(burn, 0)
            last = rows(self.db, "SELECT MAX(day) FROM cost_day WHERE subscription_uuid=?", uuid)[0][0]
            last_s = int(subprocess.run(["date", "-u", "-d", last, "+%s"], capture_output=True,
                                        text=True).stdout)
            end_s = promtext.value(self.fams, "dtcost_budget_period_end_timestamp_seconds", subscription=uuid)
            samples = [v for l, v in self.fams["dtcost_budget_runs_out_timestamp_seconds"]["samples"]
                       if l.get("subscription") == uuid]
            want = last_s + math.ceil((total - used) / 1e6 / burn - 1e-9) * 86400
            if want <= end_s - 86400:
                self.assertEqual(len(samples), 1, f"{uuid}: no runs-out sample though it runs out")
                self.assertLessEqual(abs(samples[0] - want), 86400, uuid)
                runs_out_seen += 1
            else:
                self.assertLessEqual(len(samples), 1)
        self.assertIn("dtcost_budget_forecast", self.fams)

    def test_cost_series_cap_sums_the_rest_into_other(self):
        capped = promtext.parse(scrape(self.db, "--metrics-max-series", "5"))
        samples = capped["dtcost_cost_last_complete_day"]["samples"]
        full = self.fams["dtcost_cost_last_complete_day"]["samples"]
        self.assertGreater(len(full), 5)
        subs_cur = {(l["subscription"], l["currency"]) for l, _ in full}
        self.assertLessEqual(len(samples), 5 + len(subs_cur))
        kept = [v for l, v in samples if l["environment"] != "other"]
        self.assertEqual(len(kept), 5)
        self.assertEqual(sorted(kept, reverse=True)[:5], sorted((v for _, v in full), reverse=True)[:5])
        for sub, cur in subs_cur:
            want = sum(v for l, v in full if l["subscription"] == sub)
            got = sum(v for l, v in samples if l["subscription"] == sub)
            self.assertAlmostEqual(got, want, 5)
        self.assertEqual(promtext.value(capped, "dtcost_cost_series_folded"), len(full) - 5)

    def test_alert_rules_check_and_pass_their_tests(self):
        r = promtool("check", "rules", os.path.join(ROOT, "docs", "deploy", "dtcost-alerts.yml"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = promtool("test", "rules", os.path.join(ROOT, "tests", "data", "prometheus", "dtcost-alerts.test.yml"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    if not PROMTOOL:
        print("SKIP: promtool not installed (Debian package prometheus; scripts/install-deps.sh installs it)")
        sys.exit(77)
    unittest.main()
