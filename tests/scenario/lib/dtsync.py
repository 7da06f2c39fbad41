"""Helpers for scenario tests of `dtcost sync`: run it against an emulator
with the emulator's test credentials, and read the database back."""
import json
import os
import sqlite3
import urllib.parse
import subprocess

from emu import ACCOUNT, CLIENT_ID, CLIENT_SECRET, DTCOST, HELPER, Emulator
from shared import made_once

FACT_TABLES = ["subscription", "subscription_period", "subscription_capability", "environment",
               "cost_day", "usage_day", "env_cost_day", "env_usage_day", "forecast", "rate_card",
               "cost_event", "cost_allocation"]


def sync_env(emu, **over):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DT_", "DTCOST_DB", "DTCOST_CONFIG"))}
    # no config file found by default: not the user's own, whatever machine this runs on
    env["XDG_CONFIG_HOME"] = os.path.join(os.environ.get("DTCOST_TEST_TMP", "/tmp"), "no-xdg-config")
    env.update({"DT_ACCOUNT_UUID": ACCOUNT, "DT_CLIENT_ID": CLIENT_ID, "DT_CLIENT_SECRET": CLIENT_SECRET,
                "DT_SSO_URL": f"{emu.base}/sso/oauth2/token", "DT_API_URL": emu.base})
    for k, v in over.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def run_sync(emu, db, *args, env=None, timeout=240, binary=DTCOST):
    """`dtcost sync --db DB ARGS`; returns the CompletedProcess (text)."""
    return subprocess.run([binary, "sync", "--db", db, "--retry-base-ms", "20", *args],
                          env=env or sync_env(emu), capture_output=True, text=True, timeout=timeout)


def rows(db, sql, *params):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def dump(db, tables=FACT_TABLES):
    """Every fact row, sorted, as text: two databases with the same facts give
    the same string."""
    con = sqlite3.connect(db)
    out = []
    try:
        for t in tables:
            cols = [r[1] for r in con.execute(f"PRAGMA table_info({t})")]
            out.append(f"== {t} ({', '.join(cols)})")
            for r in con.execute(f"SELECT * FROM {t} ORDER BY {', '.join(cols)}"):
                out.append(repr(r))
    finally:
        con.close()
    return "\n".join(out)


def synced_copy(db, *emu_args, wait=600):
    """Copy into db (a new file) the database `dtcost sync` makes from
    Emulator(*emu_args) with the default seed and clock. Test files that only
    read such a database (reports) share one sync per dtcost binary and
    arguments (shared.made_once; at most `wait` seconds for another's). The
    sync is set-up, not the claim: emu.HELPER runs it."""
    def make(folder):
        with Emulator(*emu_args) as emu:
            res = run_sync(emu, os.path.join(folder, "synced.db"), binary=HELPER)
        assert res.returncode == 0, res.stderr

    folder = made_once(["sync", *emu_args], make, wait, binary=HELPER)
    src, dst = sqlite3.connect(os.path.join(folder, "synced.db")), sqlite3.connect(db)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


EVENT_COLUMNS = "event_type, environment_id, capability, date, created_at, severity, message, notification_level"


def events_answered(emu, log):
    """The events the emulator answers to the last events request in its
    --log file (the window a sync asked for), sorted, as tuples of
    EVENT_COLUMNS, for a comparison with `SELECT EVENT_COLUMNS FROM cost_event`."""
    with open(log) as f:
        asked = [json.loads(l) for l in f if "/subscriptions/events" in l]
    assert asked, "no events request in the emulator's log"
    params = dict(urllib.parse.parse_qsl(asked[-1]["query"]))
    evs = emu.get_json(f"/sub/v2/accounts/{ACCOUNT}/subscriptions/events", emu.token(), params)
    return sorted((e["eventType"], e["environmentUuid"], e["capability"], e["date"], e["createdAt"],
                   e["severity"], e["message"], e["notificationLevel"]) for e in evs)

