"""Helpers for scenario tests of `dtcost push` and `dtcost serve`: run them
against an emulator (its webhook receivers and business-event ingest), read
what the receivers got, and what the database says should have arrived."""
import json
import os
import subprocess

from dtsync import rows, sync_env
from emu import DTCOST


def push_env(emu, **over):
    env = sync_env(emu, **over)
    for k in ("DTCOST_WEBHOOK_SECRET", "DTCOST_WEBHOOK_SECRET_FILE", "DT_API_TOKEN", "DT_API_TOKEN_FILE"):
        if k not in over:
            env.pop(k, None)
    return env


def run_push(emu, db, *args, env=None, timeout=120):
    """`dtcost push ARGS --db DB` with short backoffs; CompletedProcess (text)."""
    return subprocess.run([DTCOST, "push", *args, "--db", db, "--retry-base-ms", "10"],
                          env=env or push_env(emu), capture_output=True, text=True, timeout=timeout)


def hook_url(emu, name):
    return f"{emu.base}/emu/webhook/{name}"


def hook_fail(emu, name, count=0, status=0, delay_ms=0, retry_after=1):
    r = emu.request("POST", f"/emu/webhook/{name}/fail",
                    params={"count": count, "status": status, "delay-ms": delay_ms, "retry-after": retry_after})
    assert r.status == 204, r.body


def hook_read(emu, name):
    r = emu.request("GET", f"/emu/webhook/{name}")
    assert r.status == 200, r.body
    return r.json()


def parse_body(headers, body):
    """Records of one webhook body: JSON Lines or a JSON array, per Content-Type."""
    ctype = headers.get("content-type", "")
    if ctype.startswith("application/x-ndjson"):
        assert body.endswith("\n"), "JSON Lines end with a newline"
        return [json.loads(line) for line in body.split("\n") if line]
    assert ctype.startswith("application/json"), ctype
    doc = json.loads(body)
    assert isinstance(doc, list)
    return doc


def hook_records(emu, name):
    """Every record every accepted request carried, in arrival order."""
    out = []
    for d in hook_read(emu, name)["deliveries"]:
        out.extend(parse_body(d["headers"], d["body"]))
    return out


def expected(db):
    """recordKey -> costMicro for every cost record in the database."""
    got = dict(rows(db, "SELECT 'cost_day/' || subscription_uuid || '/' || day, cost_micro FROM cost_day"))
    got.update(rows(db, "SELECT 'env_cost_day/' || subscription_uuid || '/' || environment_id || '/' || "
                        "capability_key || '/' || day, cost_micro FROM env_cost_day"))
    return got


def latest_by_key(records):
    """Deduplicate by idempotencyKey (asserting duplicates are identical), then
    keep each recordKey's highest revision: recordKey -> record."""
    by_idem = {}
    for r in records:
        k = r["idempotencyKey"]
        if k in by_idem:
            assert by_idem[k] == r, f"two different records share idempotency key {k}"
        by_idem[k] = r
    latest = {}
    for r in by_idem.values():
        cur = latest.get(r["recordKey"])
        if cur is None or r["revision"] > cur["revision"]:
            latest[r["recordKey"]] = r
    return by_idem, latest


def secret_file(directory, name, text, mode=0o600):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text + "\n")
    os.chmod(path, mode)
    return path
