#!/usr/bin/env python3
"""The license benchmark's baseline: what a careful script would do with
Python's standard library only (zipfile + json + sqlite3). It computes the
same per cluster, environment and hour figures as `dtcost license import`,
with the rules written out again independently (contract section 6), and
upserts them into SQLite.

usage: license_baseline.py EXPORT.zip DB.sqlite
Prints the totals, one per line, in the same format as bench/license.sh
prints dtcost's, so the two can be compared line by line."""
import datetime
import io
import json
import sqlite3
import sys
import zipfile

GIB = 1 << 30
# (max RAM in tenths of a GiB, Full-Stack milli-HU, Infrastructure milli-HU, capped at 1000)
TABLE = [(16, 100, 30), (40, 250, 75), (80, 500, 150), (160, 1000, 300), (320, 2000, 600), (480, 3000, 900),
         (640, 4000, 1000), (800, 5000, 1000), (960, 6000, 1000), (1120, 7000, 1000)]
POOLS = ["Metrics", "Log", "Events", "Traces", "Serverless"]


def ms(v):
    """Epoch milliseconds from an integer or an ISO 8601 string."""
    if v is None:
        return None
    if isinstance(v, (int, float)):
        return int(v)
    if v.isdigit():
        return int(v)
    return int(datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp() * 1000)


def hu(mem, infra):
    if not mem or mem <= 0:
        return 0
    for tenths, fs, inf in TABLE:
        if mem * 10 <= tenths * GIB:
            return inf if infra else fs
    return 1000 if infra else -(-mem // (16 * GIB)) * 1000


def active(spans, a, b):
    total, cur = 0, None
    for s, e in sorted(spans):
        s, e = max(s, a), min(e, b)
        if e <= s:
            continue
        if cur and s <= cur[1]:
            cur[1] = max(cur[1], e)
            continue
        if cur:
            total += cur[1] - cur[0]
        cur = [s, e]
    return total + (cur[1] - cur[0] if cur else 0)


def micro(x):
    return int(x * 1000000 + 0.5) if x >= 0 else -int(-x * 1000000 + 0.5)


def documents(path):
    with zipfile.ZipFile(path) as outer:
        for name in outer.namelist():
            if name.endswith(".zip"):
                with zipfile.ZipFile(io.BytesIO(outer.read(name))) as inner:
                    for n in inner.namelist():
                        if n.endswith(".json"):
                            yield json.loads(inner.read(n))
            elif name.endswith(".json"):
                yield json.loads(outer.read(name))


def rows(doc):
    a = ms(doc.get("timeFrameStart"))
    if a is None:
        return
    b = ms(doc.get("timeFrameEnd")) or a + 3600000
    hour = datetime.datetime.fromtimestamp(a // 3600000 * 3600, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for env in doc.get("environmentBillingEntries") or []:
        if env is None:
            continue
        f = {"fullstack": 0, "infra": 0, "paas": 0}
        for h in env.get("hostUsages") or []:
            if h is None:
                continue
            spans = [(ms(r.get("startTime")), ms(r.get("endTime")))
                     for ag in h.get("agentUsages") or [] if ag and ag.get("agentTypeId") == 1
                     for r in ag.get("agentUsageRecords") or []
                     if r and r.get("startTime") is not None and r.get("endTime") is not None]
            if active(spans, a, b) < 300000:
                continue
            if h.get("infrastructureOnly"):
                f["infra"] += hu(h.get("hostMemoryBytes"), True)
            elif h.get("paas"):
                f["paas"] += hu(h.get("passMemoryLimit") or h.get("hostMemoryBytes"), False)
            else:
                f["fullstack"] += hu(h.get("hostMemoryBytes"), False)
        sessions = (env.get("visits") or 0) + (env.get("mobileSessions") or 0)
        replays = (env.get("sessionReplays") or 0) + (env.get("mobileSessionReplays") or 0)
        dem = 25 * sessions + 100 * replays
        syn = 0
        for s in env.get("syntheticBillingUsage") or []:
            if not s:
                continue
            n = (s.get("publicExecutions") or 0) + (s.get("privateExecutions") or 0)
            syn += n
            dem += {1: 100, 2: 10}.get(s.get("monitorTypeId"), 0) * n
        dem += max(0, (env.get("totalRUMUserPropertiesUsed") or 0) - 20) * sessions
        ddu = sum(micro(d.get("total") or 0) for d in env.get("davisDataUnits") or [] if d)
        yield (doc.get("clusterUuid") or "unknown-cluster", env.get("environmentUuid") or "unknown-environment",
               hour, f["fullstack"], f["infra"], f["paas"], dem, ddu, sessions, replays, syn,
               env.get("logUploadVolumeBytes") or 0)


def main():
    src, dbpath = sys.argv[1], sys.argv[2]
    db = sqlite3.connect(dbpath)
    db.execute("CREATE TABLE IF NOT EXISTS lic_baseline(cluster TEXT, environment TEXT, hour TEXT,"
               " fullstack_mhu INTEGER, infra_mhu INTEGER, paas_mhu INTEGER, dem_centi INTEGER, ddu_micro INTEGER,"
               " sessions INTEGER, replays INTEGER, synthetic_exec INTEGER, log_bytes INTEGER,"
               " PRIMARY KEY(cluster, environment, hour))")
    with db:
        for doc in documents(src):
            db.executemany("INSERT OR REPLACE INTO lic_baseline VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", list(rows(doc)))
    t = db.execute("SELECT COUNT(*), SUM(fullstack_mhu), SUM(infra_mhu), SUM(paas_mhu), SUM(dem_centi),"
                   " SUM(ddu_micro), SUM(sessions), SUM(replays), SUM(synthetic_exec), SUM(log_bytes)"
                   " FROM lic_baseline").fetchone()
    print(f"environment_hours {t[0]}")
    print(f"fullstack_hu_hours {t[1] / 1000:.3f}")
    print(f"infrastructure_hu_hours {t[2] / 1000:.3f}")
    print(f"application_only_hu_hours {t[3] / 1000:.3f}")
    print(f"dem_units {t[4] / 100:.2f}")
    print(f"ddu {t[5] / 1e6:.6f}")
    print(f"sessions {t[6]}")
    print(f"replays {t[7]}")
    print(f"synthetic_executions {t[8]}")
    print(f"log_upload_bytes {t[9]}")
    db.close()


if __name__ == "__main__":
    main()
