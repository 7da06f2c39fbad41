"""A cost, budget, forecast or allocation value beyond what int64
micro-units hold (even 9.3e12, whose micro-units pass 2^63), or a day out
of range, makes `dtcost sync` exit 65 with one line naming the field and the
endpoint; nothing like INT64_MIN is ever stored. A proxy in front of the
emulator rewrites one answer per case."""
import http.server
import json
import os
import sqlite3
import threading
import unittest
import urllib.error
import urllib.request

from dtsync import run_sync, sync_env
from emu import Emulator, tmpdir

INT64_MIN = -(2 ** 63)


def first(doc, pred):
    if isinstance(doc, dict):
        if pred(doc):
            return doc
        for v in doc.values():
            got = first(v, pred)
            if got is not None:
                return got
    elif isinstance(doc, list):
        for v in doc:
            got = first(v, pred)
            if got is not None:
                return got
    return None


def set_budget_total(doc):
    doc["budget"]["total"] = 9.3e12


def set_cost_value(doc):
    first(doc, lambda o: "value" in o and "startTime" in o)["value"] = 9.3e12


def set_forecast(doc):
    doc["forecastMedian"] = -9.3e12


def set_allocation(doc):
    rec = first(doc, lambda o: "costs" in o)
    if rec:  # some pages are empty
        rec["costs"] = 1e19


def set_year(doc):
    first(doc, lambda o: "value" in o and "startTime" in o)["startTime"] = "12026-01-01T00:00:00Z"


CASES = [
    # (path suffix the rewrite applies to, rewrite, words the message must hold)
    ("/subscriptions/{sub}", set_budget_total, ["budget.total", "/subscriptions/"]),
    ("/subscriptions/{sub}/cost", set_cost_value, ["cost item's value", "/cost"]),
    ("/subscriptions/forecast", set_forecast, ["forecastMedian", "/subscriptions/forecast"]),
    ("/cost-allocation", set_allocation, ["allocation record's costs", "/cost-allocation"]),
    ("/subscriptions/{sub}/cost", set_year, ["startTime (2000-2199)", "/cost"]),
]


def proxy(base, rule):
    """A pass-through proxy to base that rewrites JSON answers whose path ends
    with rule[0] using rule[1]; rule is a one-element list so tests swap it."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def forward(self, method):
            n = int(self.headers.get("Content-Length", "0") or 0)
            body = self.rfile.read(n) if n else None
            hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            req = urllib.request.Request(base + self.path, data=body, headers=hdrs, method=method)
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    status, out, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
            except urllib.error.HTTPError as e:
                status, out, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
            suffix, rewrite = rule[0]
            path = self.path.split("?")[0]
            if status == 200 and suffix and path.endswith(suffix):
                doc = json.loads(out)
                rewrite(doc)
                out = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype or "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def do_GET(self):
            self.forward("GET")

        def do_POST(self):
            self.forward("POST")

        def log_message(self, *args):
            pass

    return http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)


class Money(unittest.TestCase):
    def test_each_out_of_range_number_is_refused_with_exit_65(self):
        with Emulator("--days", "40") as emu:
            rule = [(None, None)]
            srv = proxy(emu.base, rule)
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            self.addCleanup(srv.shutdown)
            base = f"http://127.0.0.1:{srv.server_address[1]}"
            env = sync_env(emu, DT_API_URL=base)
            d = tmpdir()
            sub = emu.subscriptions(emu.token())[0]["uuid"]
            for suffix, rewrite, words in CASES:
                with self.subTest(rewrite.__name__):
                    db = os.path.join(d, rewrite.__name__ + ".db")
                    rule[0] = (suffix.format(sub=sub), rewrite)
                    res = run_sync(emu, db, env=env)
                    self.assertEqual(res.returncode, 65, res.stderr)
                    line = [l for l in res.stderr.splitlines() if "outside" in l or "lacks" in l]
                    self.assertTrue(line, res.stderr)
                    for w in words:
                        self.assertIn(w, line[0])
                    with sqlite3.connect(db) as con:
                        for table, cols in (("cost_day", "cost_micro"), ("subscription", "budget_total_micro"),
                                            ("env_cost_day", "cost_micro")):
                            worst = con.execute(f"SELECT MIN({cols}), MAX({cols}) FROM {table}").fetchone()
                            for v in worst:
                                self.assertTrue(v is None or abs(v) <= 10 ** 18, f"{table}.{cols} = {v}")
            # And the same proxy with no rewrite syncs fine: the refusals were the numbers.
            rule[0] = (None, None)
            ok = run_sync(emu, os.path.join(d, "clean.db"), env=env)
            self.assertEqual(ok.returncode, 0, ok.stderr)


if __name__ == "__main__":
    unittest.main()
