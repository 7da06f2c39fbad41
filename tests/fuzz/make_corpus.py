#!/usr/bin/env python3
"""Seed corpora for the fuzzers, made from emulator answers:
tests/fuzz/corpus/<harness>/. Run from the repository root with a built
dtcost: `DTCOST=build/dtcost python3 tests/fuzz/make_corpus.py`.

dps      every distinct Account Management answer a sync reads (replayed)
license  the JSON entries of the cluster export archives `license fetch` gets
pagekey  the page keys those answers carry
config   the example config and the test configs' shapes
schedule cron expressions and intervals
jw       strings: names, escapes, UTF-8 and not
The regression inputs of issue 12 (regress-*) are kept by hand and never
rewritten here."""
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scenario", "lib"))
from emu import ACCOUNT, CLIENT_ID, CLIENT_SECRET, CLUSTER_TOKEN, DTCOST, Emulator, tmpdir  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
CAP = 64 * 1024  # bytes per seed: small seeds fuzz faster
PER_HARNESS = 40


def save(harness, data, limit=PER_HARNESS):
    d = os.path.join(ROOT, harness)
    os.makedirs(d, exist_ok=True)
    have = [f for f in os.listdir(d) if f.startswith("emu-")]
    if len(have) >= limit:
        return
    data = data[:CAP]
    name = "emu-" + hashlib.sha256(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def json_entries(blob, depth=0):
    try:
        z = zipfile.ZipFile(io.BytesIO(blob))
    except zipfile.BadZipFile:
        return
    for info in z.infolist():
        if info.file_size > 64 << 20:
            continue
        body = z.read(info)
        if info.filename.endswith(".zip") and depth < 2:
            yield from json_entries(body, depth + 1)
        elif info.filename.endswith(".json"):
            yield body


def main():
    with Emulator("--days", "8", "--hosts", "3", "--cluster-environments", "2") as emu:
        d = tmpdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DT_", "DTCOST_"))}
        env.update({"DT_ACCOUNT_UUID": ACCOUNT, "DT_CLIENT_ID": CLIENT_ID, "DT_CLIENT_SECRET": CLIENT_SECRET,
                    "DT_SSO_URL": f"{emu.base}/sso/oauth2/token", "DT_API_URL": emu.base})
        subprocess.run([DTCOST, "sync", "--db", os.path.join(d, "c.db")], env=env, check=True,
                       capture_output=True)
        token = emu.token()
        seen = set()
        for line in emu.log_lines():
            if line["method"] != "GET" or line["status"] != 200:
                continue
            family = line["path"].rsplit("/", 1)[-1] + ("?" if line["query"] else "")
            if family in seen and len(seen) > 20:
                continue
            seen.add(family)
            path = line["path"] + ("?" + line["query"] if line["query"] else "")
            r = emu.get(path, token)
            if r.status == 200:
                save("dps", r.body)
                key = json.loads(r.body).get("nextPageKey") if r.body.startswith(b"{") else None
                if key:
                    save("pagekey", key.encode())
        env["DT_CLUSTER_TOKEN"] = CLUSTER_TOKEN
        now = emu.get_json("/emu/state", None)["now"]
        day = now[:10]
        out = os.path.join(d, "archives")
        subprocess.run([DTCOST, "license", "fetch", "--cluster", emu.base, "--out", out, "--db",
                        os.path.join(d, "l.db"), "--from", f"{day}T00:00:00Z", "--to", f"{day}T03:00:00Z"],
                       env=env, check=True, capture_output=True)
        for name in sorted(os.listdir(out)):
            with open(os.path.join(out, name), "rb") as f:
                for body in json_entries(f.read()):
                    save("license", body)
    repo = os.path.join(os.path.dirname(__file__), "..", "..")
    with open(os.path.join(repo, "docs", "deploy", "dtcost.ini.example"), "rb") as f:
        save("config", f.read())
    save("config", b"[dtcost]\ndatabase = x.db\n\n[serve]\ninterval = 60\njitter = 0\npushes = a\n\n"
                   b"[push a]\ntype = webhook\nurl = https://h.example/hook\nformat = json\nbatch_records = 5\n\n"
                   b"[push b]\ntype = bizevents\nenvironment = https://abc12345.live.dynatrace.com\n")
    save("config", b"[account one]\naccount_uuid = 2b236438-2a31-4872-8655-bca4fa8af917\nclient_id = dt0s02.X\n"
                   b"client_secret = s\nscopes = account-uac-read\n[account two]\naccount_uuid = x\n")
    for expr in (b"17 */4 * * *", b"0 0 * * 1-5", b"*/15 9-17 1,15 * MON-FRI", b"0 0 31 2 *", b"@daily",
                 b"59 23 31 12 7", b"0-59/7 0-23/5 1-31/3 1-12/2 0-6/2"):
        save("schedule", expr)
    for s in (b"cost center \"A\"\\\n\t", "Zürich – 東京 €".encode(), b"\xc3\x28 bad \xed\xa0\x80 \xf4\x90\x80\x80",
              b"=SUM(A1:A2)", b"\x00nul", b"<!-- -->"):
        save("jw", s)


if __name__ == "__main__":
    main()
