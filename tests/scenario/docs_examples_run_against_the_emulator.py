"""Every shell example in README.md and docs/*.md runs and succeeds, with
`dtcost` (and ./build/dtcost) being this build, the DT_* variables pointing
at an emulated account, a dtcost.db (the demo's year, its cost allocation
kept for the last month) and dtcost.ini the example config in the working
folder, and the emulator's port 8319 moved to a free one. An example that
needs what a test cannot have says so in an HTML comment on the line before
its fence, `<!-- needs: a real account -->`, and is listed as skipped;
`<!-- example: runs until stopped -->` marks a server, which passes when it
is still up after a few seconds. A failure names the file and line of the
example."""
import glob
import os
import re
import signal
import socket
import subprocess
import sys
import unittest

import focusrules
from emu import ACCOUNT, CLIENT_ID, CLIENT_SECRET, DTCOST, Emulator, tmpdir

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FENCE = re.compile(r"^```(\w*)\s*$")
MARK = re.compile(r"^<!--\s*(needs|example):\s*(.*?)\s*-->\s*$")
SHELLS = {"sh", "bash", "shell", "console"}
SERVER_SECONDS = 3
EXAMPLE_SECONDS = 60


def examples(path):
    """(line, code, mark) for each shell block; mark is ("needs"|"example", text) or None."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        k = i - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        mark = MARK.match(lines[k]) if k >= 0 else None
        if m.group(1) in SHELLS:
            yield i + 1, "\n".join(lines[i + 1:end]) + "\n", mark.groups() if mark else None
        i = end + 1


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class DocsExamples(unittest.TestCase):
    def test_every_example_runs(self):
        files = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
        bindir = tmpdir()
        os.makedirs(os.path.join(bindir, "build"))
        os.symlink(os.path.abspath(DTCOST), os.path.join(bindir, "dtcost"))
        os.symlink(os.path.abspath(DTCOST), os.path.join(bindir, "build", "dtcost"))
        # the demo's year with its cost allocation kept for the last month (each record splits into 16
        # rows, and the FOCUS examples exporting a whole year of them would spend more than the rest of
        # the test): the FOCUS tests' shared set-up, made once for them all; copied, never written
        seed_db = os.path.join(focusrules.demo_export(), "demo.db")
        ran, skipped, failures = 0, [], []
        with Emulator("--days", "60") as emu:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("DT_", "DTCOST_"))}
            env.update({"PATH": f"{bindir}:{env.get('PATH', '/usr/bin:/bin')}", "DT_ACCOUNT_UUID": ACCOUNT,
                        "DT_CLIENT_ID": CLIENT_ID, "DT_CLIENT_SECRET": CLIENT_SECRET,
                        "DT_SSO_URL": f"{emu.base}/sso/oauth2/token", "DT_API_URL": emu.base, "NO_COLOR": "1"})
            for path in files:
                rel = os.path.relpath(path, ROOT)
                work = None
                for line, code, mark in examples(path):
                    where = f"{rel}:{line}"
                    if mark and mark[0] == "needs":
                        skipped.append(f"{where} (needs {mark[1]})")
                        continue
                    if work is None:  # one folder per file: its examples build on each other
                        work = tmpdir()
                        os.symlink(os.path.join(bindir, "build"), os.path.join(work, "build"))
                        with open(seed_db, "rb") as src, open(os.path.join(work, "dtcost.db"), "wb") as dst:
                            dst.write(src.read())
                        with open(os.path.join(ROOT, "docs", "deploy", "dtcost.ini.example")) as src, \
                                open(os.path.join(work, "dtcost.ini"), "w") as dst:
                            dst.write(src.read())
                    code = code.replace("8319", str(free_port()))
                    server = bool(mark and mark[0] == "example" and "until stopped" in mark[1])
                    err = self.run_example(code, work, env, server)
                    ran += 1
                    if err:
                        what, offset, tail = err
                        failures.append(f"{rel}:{line + offset}: {what}: {tail}")
        print(f"docs examples: {ran} ran, {len(skipped)} skipped:")
        for s in skipped:
            print(f"  skipped {s}")
        self.assertGreater(ran, 5, "the extractor found almost no examples")
        self.assertEqual(failures, [], "\n" + "\n".join(failures))

    def run_example(self, code, cwd, env, server):
        """None when the example succeeded, else (what, line in the block, the
        output's last lines). Output
        goes to files: a background process the example starts keeps a pipe
        open after the example's shell has ended."""
        out_path, err_path = os.path.join(cwd, ".example.out"), os.path.join(cwd, ".example.err")
        with open(out_path, "w") as out, open(err_path, "w") as err:
            # the ERR trap names the failing line: line 1 is the trap, the fence's line + 1 is 2
            traced = "trap 'echo \"@@failed at line $LINENO\" >&2' ERR\n" + code
            proc = subprocess.Popen(["bash", "-e", "-c", traced], cwd=cwd, env=env, stdout=out, stderr=err,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            rc = proc.wait(timeout=SERVER_SECONDS if server else EXAMPLE_SECONDS)
        except subprocess.TimeoutExpired:
            rc = None
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # and whatever the example left running
            except ProcessLookupError:
                pass
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        if rc == 0 or (rc is None and server):
            return None  # a server still serving is what it should do
        with open(err_path) as f:
            text = f.read()
        at = re.findall(r"@@failed at line (\d+)", text)
        text = re.sub(r"@@failed at line \d+\n?", "", text).strip()
        if not text:
            with open(out_path) as f:
                text = f.read().strip()
        tail = " | ".join(text.splitlines()[-3:]) or "(no output)"
        what = f"timed out after {EXAMPLE_SECONDS} s" if rc is None else f"exit {rc}"
        return what, (int(at[-1]) - 1 if at else 0), tail


if __name__ == "__main__":
    unittest.main()
