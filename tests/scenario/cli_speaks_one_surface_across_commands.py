"""Every command speaks the same surface: --format table|json (csv where the
results are rows) with --json as its alias; --since/--until with export's
--from/--to as older spellings; dates as RFC 3339 with offsets, YYYY-MM,
today, yesterday and -Nd; snake_case JSON keys in every command's output; CSV
lines that end in CRLF; -V; "did you mean" for misspelt commands and options;
errors on stderr only."""
import csv
import io
import json
import os
import re
import subprocess
import unittest

from emu import DTCOST, Emulator, tmpdir
from dtsync import run_sync, sync_env
from dtpush import hook_url, run_push, push_env

SNAKE = re.compile(r"[a-z][a-z0-9_]*")
# Outputs whose content another change owns; the test checks them once that
# change lands (delete the entry then).
PENDING_SNAKE = {}  # every command's JSON is snake_case now; a name here is reported, not failed


def run(*args, env=None):
    return subprocess.run([DTCOST, *args], capture_output=True, text=True, env=env, timeout=240)


def keys(obj, path="$"):
    """Every object key in a JSON value, with where it is."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield k, f"{path}.{k}"
            yield from keys(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from keys(v, f"{path}[{i}]")


class Surface(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator("--days", "40").__enter__()
        cls.dir = tmpdir()
        cls.db = os.path.join(cls.dir, "dtcost.db")
        cls.sync = run_sync(cls.emu, cls.db, "--format", "json")
        assert cls.sync.returncode == 0, cls.sync.stderr

    @classmethod
    def tearDownClass(cls):
        cls.emu.__exit__(None, None, None)

    def assert_snake(self, doc, what):
        for k, where in keys(doc):
            self.assertTrue(SNAKE.fullmatch(k), f"{what}: key {where} is not snake_case")

    def test_version_short_and_long(self):
        for flag in ("-V", "--version"):
            r = run(flag)
            self.assertEqual(r.returncode, 0)
            self.assertRegex(r.stdout, r"^dtcost \d+\.\d+\.\d+\n$")

    def test_misspelt_command_and_option_get_a_suggestion_on_stderr(self):
        for args, want in ((["reprot"], "did you mean 'report'?"), (["verfy"], "did you mean 'verify'?"),
                           (["report", "--jsno"], "did you mean '--json'?"),
                           (["export", "--sinse", "2026-11"], "did you mean '--since'?"),
                           (["sync", "--trailing-day", "3"], "did you mean '--trailing-days'?")):
            r = run(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertEqual(r.stdout, "", args)
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
            self.assertIn(want, r.stderr)
        r = run("frobnicate")
        self.assertNotIn("did you mean", r.stderr)

    def test_json_is_format_json_and_every_key_is_snake_case(self):
        outputs = {"sync": self.sync.stdout}
        for cmd in (["verify"], ["report"]):
            a = run(*cmd, "--db", self.db, "--format", "json")
            b = run(*cmd, "--db", self.db, "--json")
            self.assertEqual(a.returncode, b.returncode, cmd)
            self.assertIn(a.returncode, (0, 65), a.stderr)
            self.assertEqual(a.stdout, b.stdout, f"{cmd}: --json differs from --format json")
            outputs[cmd[0]] = a.stdout
        outputs["export"] = run("export", "--db", self.db, "--format", "jsonl").stdout
        p = run_push(self.emu, self.db, "webhook", hook_url(self.emu, "surface"), "--format", "json")
        self.assertEqual(p.returncode, 0, p.stderr)
        outputs["push"] = p.stdout
        for cmd, text in outputs.items():
            docs = [json.loads(line) for line in text.splitlines() if line.strip()] if cmd != "report" \
                else [json.loads(text)]
            self.assertTrue(docs, f"{cmd} printed no JSON")
            if cmd in PENDING_SNAKE:
                camel = sorted({k for d in docs for k, _ in keys(d) if not SNAKE.fullmatch(k)})
                print(f"NOTE: {cmd} --format json still has {len(camel)} keys not in snake_case "
                      f"({', '.join(camel[:6])}...): {PENDING_SNAKE[cmd]}")
                continue
            for d in docs:
                self.assert_snake(d, cmd)
        r = run("sync", "--db", self.db, "--format", "xml", env=sync_env(self.emu))
        self.assertEqual(r.returncode, 2)
        self.assertIn("--format takes one of table, json, csv, not 'xml'", r.stderr)

    def test_csv_has_the_fields_and_values_of_json(self):
        """sync, verify and push print the same records as CSV (a header, CRLF) as they do as JSON."""
        bad = os.path.join(self.dir, "bad.db")
        with open(self.db, "rb") as src, open(bad, "wb") as dst:
            dst.write(src.read())
        subprocess.run(["sqlite3", bad, "UPDATE cost_day SET cost_micro = cost_micro + 5000000 WHERE day IN "
                        "(SELECT day FROM cost_day ORDER BY day DESC LIMIT 2)"], check=True)
        def run_bytes(args, env=None):  # bytes: text mode would turn CRLF into LF
            r = subprocess.run([DTCOST, *args], capture_output=True, env=env, timeout=240)
            return subprocess.CompletedProcess(r.args, r.returncode, r.stdout.decode(), r.stderr.decode())
        runs = {
            "sync": lambda fmt: run_bytes(["sync", "--db", self.db, "--retry-base-ms", "20", "--format", fmt],
                                    sync_env(self.emu)),
            "verify": lambda fmt: run_bytes(["verify", "--db", bad, "--format", fmt]),
            # a destination of its own per format, so each delivers the same records
            "push": lambda fmt: run_bytes(["push", "webhook", hook_url(self.emu, "csv-" + fmt), "--db", self.db,
                                           "--format", fmt], push_env(self.emu)),
        }
        volatile = {"run_id", "seconds", "requests", "inserted", "updated", "restated_days", "pages", "retries", "destination"}  # retries: the emulator rate-limits a second run
        for cmd, go in runs.items():
            j, c = go("json"), go("csv")
            self.assertEqual(j.returncode, c.returncode, cmd)
            self.assertTrue(c.stdout, f"{cmd} printed no CSV")
            raw = c.stdout.encode()
            self.assertTrue(raw.endswith(b"\r\n") and raw.count(b"\n") == raw.count(b"\r\n"),
                            f"{cmd}: CSV lines must end in CRLF")
            rows = list(csv.DictReader(io.StringIO(c.stdout, newline="")))
            objs = [json.loads(line) for line in j.stdout.splitlines()
                    if line.strip() and "by_check" not in line]  # verify's summary object is JSON-only
            self.assertEqual(len(rows), len(objs), cmd)
            self.assertGreater(len(rows), 0, cmd)
            for row, obj in zip(rows, objs):
                self.assertEqual(list(row), list(obj), f"{cmd}: CSV columns differ from JSON keys")
                for k, v in obj.items():
                    if k in volatile:
                        continue
                    want = "" if v is None else ("true" if v is True else "false" if v is False else str(v))
                    if isinstance(v, float):
                        self.assertAlmostEqual(float(row[k]), v, 6, f"{cmd}.{k}")
                    else:
                        self.assertEqual(row[k], want, f"{cmd}.{k}")

    def test_since_until_and_the_old_from_to_give_the_same_bytes(self):
        a = run("export", "--db", self.db, "--since", "2026-11-01", "--until", "2026-11-20")
        b = run("export", "--db", self.db, "--from", "2026-11-01", "--to", "2026-11-20")
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual(a.stdout, b.stdout)
        self.assertGreater(len(a.stdout.splitlines()), 10)

    def test_dates_take_offsets_months_and_relative_days(self):
        env = dict(os.environ, DTCOST_NOW="2026-11-22T06:00:00Z")
        def export(since, until):
            r = run("export", "--db", self.db, "--since", since, "--until", until, env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            return r.stdout
        want = export("2026-11-01", "2026-11-21")
        self.assertEqual(export("2026-11", "yesterday"), want)
        self.assertEqual(export("-21d", "-1d"), want)
        # 00:30 on the 1st at UTC-01:00 is 01:30 UTC on the 1st: the same first day
        self.assertEqual(export("2026-11-01T00:30:00-01:00", "2026-11-21"), want)
        self.assertNotEqual(export("2026-11-02", "today"), want)
        r = run("export", "--db", self.db, "--since", "last tuesday")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--since takes a date like", r.stderr)

    def test_every_csv_line_ends_in_crlf(self):
        for args in (["export", "--format", "csv"], ["export", "--format", "focus"], ["report", "--format", "csv"]):
            r = subprocess.run([DTCOST, *args, "--db", self.db], capture_output=True, timeout=240)
            self.assertEqual(r.returncode, 0, r.stderr)
            lines = r.stdout.split(b"\n")
            self.assertEqual(lines[-1], b"", args)
            bare = [i for i, l in enumerate(lines[:-1]) if not l.endswith(b"\r")]
            self.assertEqual(bare, [], f"{args}: lines without CR (first {bare[:3]})")

    def test_errors_go_to_stderr_only(self):
        missing = os.path.join(self.dir, "no-such-dir", "x.db")
        for cmd in (["verify"], ["export"], ["report"], ["verify", "--json"]):
            r = run(*cmd, "--db", missing)
            self.assertNotEqual(r.returncode, 0, cmd)
            self.assertEqual(r.stdout, "", f"{cmd}: printed on stdout: {r.stdout!r}")
            self.assertTrue(r.stderr.strip(), cmd)


if __name__ == "__main__":
    unittest.main()
