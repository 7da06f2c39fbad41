"""Small license export documents and archives for the license scenario
tests: a valid hour document, ZIPs whose headers can be made to lie about
sizes, and the hostile inputs of issue 12, each generated (up to 10 MB)."""
import io
import json
import os
import struct
import zipfile
import zlib

H0 = 1641808800000  # 2022-01-10T10:00:00Z


def doc(envs=None, **top):
    """One ConsumptionExport hour: by default one environment, one host."""
    d = {"clusterUuid": "cluster-a", "timeFrameStart": H0, "timeFrameEnd": H0 + 3600000,
         "environmentBillingEntries": envs if envs is not None else [env("env-a")]}
    d.update(top)
    return d


def host(osi, mem=8 << 30):
    return {"osiId": osi, "hostMemoryBytes": mem, "infrastructureOnly": False, "paas": False,
            "agentUsages": [{"agentTypeId": 1, "agentUsageRecords": [{"startTime": H0, "endTime": H0 + 3600000}]}]}


def env(uuid, hosts=None, pools=(("Metrics", 1.5),), **fields):
    e = {"environmentUuid": uuid, "visits": 10, "hostUsages": hosts if hosts is not None else [host(1)],
         "davisDataUnits": [{"pool": p, "total": t} for p, t in pools]}
    e.update(fields)
    return e


def write_zip(path, entries, method=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", method) as z:
        for name, body in entries:
            z.writestr(name, body)
    return path


def write_zip_fast(path, entries, declare=None):
    """A ZIP of (name, bytes) entries written by hand, deflated, with ZIP64
    end records when more than 65,535 entries (or `declare`, a count the end
    records claim whatever the entries are): what zipfile does, minus its
    per-entry overhead, so 200,000 entries take a second or two. An entry
    whose bytes are the same object as the previous one's reuses its
    compressed form. Entries go to the file as they come."""
    central, off = [], 0
    last = (None, b"", 0)
    with open(path, "wb") as f:
        for name, data in entries:
            name = name.encode()
            if data is not last[0]:
                c = zlib.compressobj(6, zlib.DEFLATED, -15)
                last = (data, c.compress(data) + c.flush(), zlib.crc32(data))
            comp, crc = last[1], last[2]
            hdr = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(comp), len(data),
                              len(name), 0)
            f.write(hdr + name + comp)
            central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(comp),
                                       len(data), len(name), 0, 0, 0, 0, 0, off) + name)
            off += len(hdr) + len(name) + len(comp)
        cd = b"".join(central)
        n = len(central) if declare is None else declare
        if n > 0xFFFF:
            tail = (struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, len(cd), off)
                    + struct.pack("<IIQI", 0x07064B50, 0, off + len(cd), 1)
                    + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, len(cd), off, 0))
        else:
            tail = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(cd), off, 0)
        f.write(cd + tail)
    return path


def lie_about_size(path, declared):
    """Rewrite the uncompressed size of every entry, in the local and central
    headers, to `declared` (32-bit fields): the data and CRC stay true."""
    with open(path, "rb") as f:
        b = bytearray(f.read())
    for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        i = b.find(sig)
        while i >= 0:
            struct.pack_into("<I", b, i + off, declared)
            i = b.find(sig, i + 4)
    with open(path, "wb") as f:
        f.write(b)
    return path


def hostile_set(d):
    """(name, path, what the refusal must mention) for every hostile input."""
    out = []

    def add(name, data, *must):
        p = os.path.join(d, name)
        with open(p, "wb") as f:
            f.write(data)
        out.append((name, p, must))
        return p

    deep = lambda n: ('{"environmentBillingEntries":' + "[" * n + "]" * n + "}").encode()
    add("deep-160k.json", deep(160000), "nesting")
    out.append(("deep-160k.zip", write_zip(os.path.join(d, "deep-160k.zip"), [("h.json", deep(160000))]),
                ("nesting",)))
    out.append(("deep-1m.zip", write_zip(os.path.join(d, "deep-1m.zip"), [("h.json", deep(1000000))]),
                ("nesting",)))
    # ~50 MB of spaces inflating from ~50 KB, the header declaring 1 GiB, 20 MiB, 3.75 GiB or 100 bytes
    spaces = b'{"x":"' + b" " * (50 << 20) + b'"}'
    big = write_zip(os.path.join(d, "spaces.zip"), [("h.json", spaces)])
    with open(big, "rb") as f:
        raw = f.read()
    for label, declared, must in (("1gib", 1 << 30, "beyond"), ("3.75gib", 0xF0000000, "beyond"),
                                  ("100b", 100, "declared")):
        p = add(f"declares-{label}.zip", raw, must)
        lie_about_size(p, declared)
    # 18 MiB of 4-letter strings (about 4:1 in deflate: no bomb by ratio)
    # declared as 17 MiB (past the one-shot bound, so streamed): the stream
    # must stop at the first byte past the declaration
    quad = bytes(b"abcd"[v & 3] for v in range(256))
    letters = os.urandom(18 << 20).translate(quad)
    body = b'{"x":["' + b'","'.join(letters[i:i + 1000] for i in range(0, len(letters), 1000)) + b'"]}'
    p = write_zip(os.path.join(d, "declares-17mib.zip"), [("h.json", body)])
    out.append(("declares-17mib.zip", lie_about_size(p, 17 << 20), ("declared",)))
    # a 10 MB string, read by the streaming path (a plain JSON file) and in a ZIP
    rnd = os.urandom(4 << 20).hex()
    add("long-string.json", ('{"x":"' + rnd + '"}').encode(), "longer than")
    out.append(("long-string.zip", write_zip(os.path.join(d, "long-string.zip"),
                                             [("h.json", ('{"x":"' + rnd + rnd + '"}').encode())]),
                ("longer than",)))
    # an end record declaring 2,000,000 entries (one is there): beyond what
    # dtcost reads from one archive, refused before the directory is read
    # (200,000 real entries import: license_import_reads_200000_entries_*)
    p = write_zip_fast(os.path.join(d, "declares-2m-entries.zip"), [("h.json", b"{}")], declare=2000000)
    out.append(("declares-2m-entries.zip", p, ("entries",)))
    # numbers and times beyond what can be stored
    e = lambda **f: json.dumps(doc([env("env-a", **f)])).encode()
    add("visits-int64-max.json", e(visits=9223372036854775807, mobileSessions=1), "DEM")
    add("visits-near-int64-max.json", e(visits=9223372036854775000), "DEM")
    add("visits-1e400.json", e(visits="1e400").replace(b'"1e400"', b"1e400"), "visits")
    add("visits-negative.json", e(visits=-5), "visits")
    add("memory-out-of-range.json",
        json.dumps(doc([env("env-a", hosts=[host(1, mem=0)])])).encode().replace(b'"hostMemoryBytes": 0',
                                                                                 b'"hostMemoryBytes": 1e30'),
        "hostMemoryBytes")
    add("memory-negative.json", json.dumps(doc([env("env-a", hosts=[host(1, mem=-1)])])).encode(), "hostMemoryBytes")
    add("year-12026.json", json.dumps(doc(timeFrameStart="12026-01-10T10:00:00Z")).encode(), "timeFrameStart")
    add("year-99999.json", json.dumps(doc(timeFrameStart=3093527980800000)).encode(), "timeFrameStart")
    add("before-1970.json", json.dumps(doc(timeFrameStart=-3600000)).encode(), "timeFrameStart")
    add("duplicate-key.json", b'{"clusterUuid":"c","timeFrameStart":1641808800000,"environmentBillingEntries":'
                              b'[{"environmentUuid":"e","visits":1,"visits":2}]}', "twice")
    add("duplicate-environment.json", json.dumps(doc([env("env-a"), env("env-a")])).encode(), "twice")
    add("invalid-utf8.json", json.dumps(doc([env("env-X")])).encode().replace(b"env-X", b"env-\xff\xfe"),
        "UTF-8")
    return out


if __name__ == "__main__":
    # Generate in a process of its own: the caller stays small, so the peak
    # RSS its children inherit at fork says nothing about dtcost.
    import sys
    print(json.dumps(hostile_set(sys.argv[1])))
