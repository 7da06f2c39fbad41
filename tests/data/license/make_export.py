#!/usr/bin/env python3
"""make_export.py: writes export.zip beside it, a small Managed license export
laid out as the Cluster API's (an outer ZIP holding an inner ZIP of hourly
ConsumptionExport JSON documents, a signature and a log), from the three
consecutive hours the emulator wrote into tests/fuzz/corpus/license/. The
allocation-failure loop (tests/unit/alloc_failure.c) imports it. Entry times
are fixed, so running it again gives the same bytes."""
import io
import json
import os
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "..", "fuzz", "corpus", "license")
WHEN = (2026, 11, 22, 6, 0, 0)


def put(z, name, data):
    info = zipfile.ZipInfo(name, WHEN)
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, data)


hours = []
for name in ("emu-ae8a4e7348c8cbaa", "emu-03fc06a5ce90138e", "emu-67be76c0297e16cf"):
    with open(os.path.join(CORPUS, name), "rb") as f:
        data = f.read()
    hours.append((json.loads(data), data))
cluster = hours[0][0]["clusterUuid"]
h0, h1 = hours[0][0]["timeFrameStart"], hours[-1][0]["timeFrameEnd"]
inner = io.BytesIO()
with zipfile.ZipFile(inner, "w") as z:
    for doc, data in hours:
        put(z, "%d.json" % doc["timeFrameStart"], data)
base = "license-consumption-%s-%d-%d" % (cluster, h0, h1)
with zipfile.ZipFile(os.path.join(HERE, "export.zip"), "w") as z:
    put(z, base + ".zip", inner.getvalue())
    put(z, base + ".signature", b"HMAC-SHA256 " + b"0" * 64 + b"\n")
    put(z, base + ".log", b"2026-11-22T06:00:00Z INFO 3 hours exported, signed\n")
