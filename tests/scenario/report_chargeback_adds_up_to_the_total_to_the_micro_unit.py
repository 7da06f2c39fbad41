"""Chargeback from the [allocation] section: environments (by id, name or
glob) and capabilities map to teams, a shared environment's cost is split
evenly or in proportion to each team's direct cost, and per currency the
teams' totals equal the database's environment cost for the window exactly,
rounding remainders included. Cost no rule matches stays visible as
"(unallocated)". A bad rule is a one-line error naming the file (exit 78)."""
import json
import os
import subprocess
import unittest

from dtsync import rows, synced_copy
from emu import DTCOST, micro, tmpdir


class Chargeback(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        cls.db = os.path.join(cls.dir, "cb.db")
        synced_copy(cls.db, "--days", "200")  # the account of the other report tests, synced once for them all
        cls.envs = {e: n for e, n in rows(cls.db, "SELECT environment_id, name FROM environment")}

    def report(self, config, *args):
        path = os.path.join(self.dir, f"{self._testMethodName}.ini")
        with open(path, "w") as f:
            f.write(config)
        return subprocess.run([DTCOST, "report", "--db", self.db, "--config", path, "--format", "json", *args],
                              capture_output=True, text=True, timeout=60)

    def teams(self, config, *args):
        r = self.report(config, *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        cb = json.loads(r.stdout)["chargeback"]
        return cb, {(t["team"], t["currency"]): t for t in cb["teams"]}

    def db_totals(self, cb):
        return dict(rows(self.db, "SELECT currency, SUM(cost_micro) FROM env_cost_day WHERE day BETWEEN ? AND ?"
                                  " GROUP BY currency", cb["from"], cb["to"]))

    def env_cost(self, cb, env, cap_glob="*"):
        return rows(self.db, "SELECT COALESCE(SUM(cost_micro), 0) FROM env_cost_day WHERE environment_id = ?"
                             " AND capability_key GLOB ? AND day BETWEEN ? AND ?", env, cap_glob,
                    cb["from"], cb["to"])[0][0]

    def assert_adds_up(self, cb):
        totals = self.db_totals(cb)
        got = {}
        for t in cb["teams"]:
            self.assertEqual(micro(t["total"]), micro(t["direct"]) + micro(t["shared"]), t)
            got[t["currency"]] = got.get(t["currency"], 0) + micro(t["total"])
        self.assertEqual(got, totals)

    def config(self, split):
        # Three environments of one currency: the first is shared among the
        # teams, the second is matched by name, the third by a glob; log
        # capabilities go to Platform whatever the environment.
        cur = rows(self.db, "SELECT currency FROM env_cost_day GROUP BY currency"
                            " ORDER BY COUNT(DISTINCT environment_id) DESC LIMIT 1")[0][0]
        e = [x for (x,) in rows(self.db, "SELECT DISTINCT environment_id FROM env_cost_day WHERE currency = ?"
                                         " ORDER BY environment_id", cur)]
        self.assertGreaterEqual(len(e), 3)
        name = self.envs[e[1]] or e[1]
        return (f"[allocation]\nsplit = {split}\nshared = {e[0]}\n"
                f"team.Checkout = {name}\nteam.Search = {e[2][:3]}*\n"
                f"team.Platform = capability:LOG_*\n"), e

    def test_proportional_split_adds_up_exactly(self):
        conf, e = self.config("proportional")
        cb, t = self.teams(conf)
        self.assert_adds_up(cb)
        cur = rows(self.db, "SELECT currency FROM env_cost_day WHERE environment_id = ? LIMIT 1", e[0])[0][0]
        pool = self.env_cost(cb, e[0]) - self.env_cost(cb, e[0], "LOG_*")
        mine = [x for (team, c), x in t.items() if c == cur and team != "(unallocated)"]
        direct = sum(micro(x["direct"]) for x in mine)
        self.assertEqual(sum(micro(x["shared"]) for x in mine), pool)
        for x in mine:  # each share within one micro-unit of its exact proportion
            exact = pool * micro(x["direct"]) / direct
            self.assertLessEqual(abs(micro(x["shared"]) - exact), 1, x)

    def test_direct_cost_follows_names_globs_and_capabilities(self):
        conf, e = self.config("proportional")
        cb, t = self.teams(conf)
        cur = rows(self.db, "SELECT currency FROM env_cost_day WHERE environment_id = ? LIMIT 1", e[1])[0][0]
        self.assertEqual(micro(t[("Checkout", cur)]["direct"]), self.env_cost(cb, e[1]) - self.env_cost(cb, e[1], "LOG_*"))
        logs = sum(self.env_cost(cb, env, "LOG_*") for env in e
                   if rows(self.db, "SELECT 1 FROM env_cost_day WHERE environment_id = ? AND currency = ? LIMIT 1",
                           env, cur))
        self.assertEqual(micro(t[("Platform", cur)]["direct"]), logs)

    def test_even_split_differs_by_at_most_one_micro_unit(self):
        conf, e = self.config("even")
        cb, t = self.teams(conf)
        self.assert_adds_up(cb)
        by_cur = {}
        for (team, cur), x in t.items():
            if team != "(unallocated)":
                by_cur.setdefault(cur, []).append(micro(x["shared"]))
        shared = [v for v in by_cur.values() if sum(v)]
        self.assertTrue(shared)
        self.assertTrue(any(len(v) == 3 for v in shared), by_cur)
        for v in shared:
            self.assertLessEqual(max(v) - min(v), 1, v)

    def test_unmatched_cost_is_unallocated_not_lost(self):
        cb, t = self.teams("[allocation]\nteam.Nobody = no-such-environment\n")
        self.assert_adds_up(cb)
        self.assertTrue(all(team == "(unallocated)" for team, _ in t))

    def test_table_lists_teams_and_a_total_per_currency(self):
        conf, _ = self.config("proportional")
        r = self.report(conf, "--format", "table")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Chargeback ", r.stdout)
        for team in ("Checkout", "Search", "Platform"):
            self.assertIn(team, r.stdout)

    def test_bad_rule_is_a_one_line_error_with_exit_78(self):
        r = self.report("[allocation]\nsplit = sometimes\n")
        self.assertEqual(r.returncode, 78)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("[allocation] split: 'sometimes' is not one it takes: proportional or even", r.stderr)
        self.assertIn(".ini", r.stderr)
        r = self.report("[allocation]\nteams.X = a\n")
        self.assertEqual(r.returncode, 78)
        self.assertIn("unknown setting [allocation] teams.X", r.stderr)


if __name__ == "__main__":
    unittest.main()
