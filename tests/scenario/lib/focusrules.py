"""Runs dtcost's transcription of the FOCUS requirements model
(tests/data/focus/requirements.json) over a FOCUS CSV file: a small
interpreter for the model's CheckFunction vocabulary. check() returns the
violations as (rule id, message) pairs; rules() lists what applies to a
version and what is skipped, with the reason."""
import csv
import datetime as dt
import functools
import io
import json
import operator
import os
import re
import sqlite3
import subprocess
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from emu import DTCOST
from shared import made_once

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data", "focus", "requirements.json")
NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")  # NumericFormat: plain decimal, no exponent, no separators
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DATA_SIZE = r"(?:[KMGTPE]i?[bB]|[bB])"
TIME = r"(?:Years?|Months?|Days?|Hours?|Minutes?|Seconds?|Milliseconds?|Microseconds?)"
NOUN = r"(?:[A-Z][A-Za-z]*)"  # a capitalized noun (a count-based unit)
BASE = f"(?:{DATA_SIZE}|{TIME}|{NOUN})"
UNIT = re.compile(rf"^(?:[1-9]\d* )?{BASE}(?:-{BASE})?(?:/(?:[1-9]\d* )?{BASE})?$")
CONTROL = re.compile(r"[\x00-\x1f]")
CURRENCY = re.compile(r"^[A-Z]{3}$")
DATETIME_COLUMNS = {"BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd",
                    "ContractCommitmentPeriodStart", "ContractCommitmentPeriodEnd", "ContractPeriodStart",
                    "ContractPeriodEnd"}


def model():
    with open(DATA, encoding="utf-8") as f:
        return json.load(f)


def rules(version, dataset="CostAndUsage"):
    m = model()
    return [r for r in m["Rules"] if version in r["Versions"] and r["Dataset"] == dataset], m["Skipped"]


def read(text):
    """Header and rows of a CSV text; an empty field is null (None)."""
    rd = csv.reader(io.StringIO(text))
    header = next(rd)
    return header, [dict(zip(header, [v or None for v in row])) for row in rd]


def records(f, columns=None):
    """csv.DictReader's rows of a CSV file (an open text file); with
    columns, only those of them the header has (a third less to build)."""
    if columns is None:
        return list(csv.DictReader(f))
    rd = csv.reader(f)
    header = next(rd)
    names = [c for c in columns if c in header]
    at = [header.index(c) for c in names]
    pick = operator.itemgetter(*at) if len(at) > 1 else lambda rec: tuple(rec[i] for i in at)
    return [dict(zip(names, pick(rec))) for rec in rd]


def records_of(paths, columns=None):
    """records() of each file at paths, as a list; files with the same bytes
    (a version's file can be another's) share one list: read it, change
    nothing."""
    seen, out = {}, []
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        if data not in seen:
            with open(path, encoding="utf-8") as f:
                seen[data] = records(f, columns)
        out.append(seen[data])
    return out


def _dec(v):
    try:
        return Decimal(v)
    except (InvalidOperation, TypeError):
        return None


@functools.lru_cache(maxsize=65536)  # amounts repeat across rows and rules
def _dec_cached(v):
    return _dec(v)


def _eq(value, want):
    if want is None:
        return value is None
    if isinstance(want, (int, float)) and value is not None:
        d = _dec(value)
        return d is not None and d == Decimal(str(want))
    return value == want


@functools.lru_cache(maxsize=65536)  # a file repeats its dates on every row: parse each once
def _datetime(v):
    if v is None:
        return True
    if not DATETIME.match(v):
        return False
    try:
        dt.datetime.strptime(v, "%Y-%m-%dT%H:%M:%SZ")
        return True
    except ValueError:
        return False


def _compile(fn):
    """The check as a function of a row: True when the row satisfies it (a
    null passes a format check: nullability is its own rule)."""
    f = fn["CheckFunction"]
    col = fn.get("ColumnName")
    if f in ("AND", "OR"):
        items = [_compile(i) for i in fn["Items"]]
        return (lambda row: all(i(row) for i in items)) if f == "AND" else (lambda row: any(i(row) for i in items))
    if f in ("CheckValue", "CheckNotValue"):
        # _eq, specialised once per check (it runs for every row of every rule)
        want, negate = fn["Value"], f == "CheckNotValue"
        if want is None:
            return lambda row: (row.get(col) is None) != negate
        if isinstance(want, (int, float)) and not isinstance(want, bool):
            dwant = Decimal(str(want))
            return lambda row: (row.get(col) is not None and _dec_cached(row[col]) == dwant) != negate
        if not isinstance(want, (int, float)):
            return lambda row: (row.get(col) == want) != negate
        return lambda row: _eq(row.get(col), want) != negate
    if f in ("CheckSameValue", "CheckNotSameValue"):
        a, b, negate = fn["ColumnAName"], fn["ColumnBName"], f == "CheckNotSameValue"
        return lambda row: (row.get(a) == row.get(b)) != negate
    if f in ("TypeDecimal", "FormatNumeric", "CheckDecimalValue"):
        return lambda row: row.get(col) is None or bool(NUMERIC.match(row[col]))
    if f == "TypeDateTime" or (f == "FormatDateTime" and col != "*DateTime"):
        return lambda row: _datetime(row.get(col))
    if f == "FormatDateTime":
        return lambda row: all(_datetime(row[c]) for c in DATETIME_COLUMNS if c in row)
    if f == "TypeString":
        return lambda row: True  # every CSV field is a string
    if f == "FormatString":  # StringHandling: no control characters, not padded
        return lambda row: row.get(col) is None or (row[col] == row[col].strip() and not CONTROL.search(row[col]))
    if f == "FormatCurrency":
        return lambda row: row.get(col) is None or bool(CURRENCY.match(row[col]))
    if f == "CheckNationalCurrency":  # ISO 4217 X-codes are metals, funds and test codes
        return lambda row: row.get(col) is None or (bool(CURRENCY.match(row[col])) and row[col][0] != "X")
    if f == "FormatUnit":
        return lambda row: row.get(col) is None or bool(UNIT.match(row[col]))
    if f in ("FormatJSONFormat", "FormatKeyValue"):
        return lambda row: row.get(col) is None or _json_object(row[col])
    if f == "JSONCheckPathType":
        path, want = fn["Path"], JSON_TYPES[fn["ExpectedType"]]
        return lambda row: row.get(col) is None or _json_all(row[col], path, lambda v: isinstance(v, want))
    if f == "JSONCheckPathKeyExists":
        parent, key = fn["Path"].rsplit(".", 1)
        return lambda row: row.get(col) is None or _json_all(row[col], parent,
                                                             lambda v: isinstance(v, dict) and key in v)
    if f == "ColumnByColumnEqualsColumnValue":
        a, b, r = fn["ColumnAName"], fn["ColumnBName"], fn["ResultColumnName"]

        def product(row):
            x, y, z = _dec(row.get(a)), _dec(row.get(b)), _dec(row.get(r))
            if x is None or y is None or z is None:
                return False
            places = Decimal(1).scaleb(z.as_tuple().exponent)  # equal at the precision the file states
            return (x * y).quantize(places, rounding=ROUND_HALF_UP) == z
        return product
    if f in ("CheckGreaterOrEqualThanValue", "CheckLessOrEqualThanValue"):  # a null is nullability's business
        bound, ge = Decimal(str(fn["Value"])), f == "CheckGreaterOrEqualThanValue"
        return lambda row: row.get(col) is None or (_dec(row[col]) is not None and
                                                    (_dec(row[col]) >= bound if ge else _dec(row[col]) <= bound))
    if f == "CheckGreaterOrEqualThanColumn":  # ours: two Date/Time values, compared as instants
        other = fn["ColumnBName"]
        return lambda row: (row.get(col) is None or row.get(other) is None or
                            (_datetime(row[col]) and _datetime(row[other]) and row[col] >= row[other]))
    if f == "CheckApplicabilityObject":
        return lambda row: row.get(col) is None or _applicability(row[col])
    raise ValueError(f"check function {f} is not implemented")


OPERATORS = {"In", "NotIn", "StartsWith", "NotStartsWith", "Contains", "NotContains", "EndsWith", "Exists",
             "DoesNotExist"}


def _fraction(a):
    """An Applicability object: Cost and Usage, when given, numbers from 0.0 to 1.0."""
    return isinstance(a, dict) and all(
        k not in a or (isinstance(a[k], (int, float)) and not isinstance(a[k], bool) and 0 <= a[k] <= 1)
        for k in ("Cost", "Usage"))


def _rules_ok(items):
    """Rule objects (Inclusions, Exclusions): a Dimension string, a supported
    Operator, Values a list of strings where "*" stands alone."""
    if not isinstance(items, list):
        return False
    for r in items:
        if not isinstance(r, dict) or not isinstance(r.get("Dimension"), str) or r.get("Operator") not in OPERATORS:
            return False
        vals = r.get("Values")
        if not isinstance(vals, list) or not vals or not all(isinstance(v, str) for v in vals):
            return False
        if "*" in vals and vals != ["*"]:
            return False
        if "Applicability" in r and not _fraction(r["Applicability"]):
            return False
    return True


def _applicability(text):
    """ContractCommitmentApplicability as contractcommitmentapplicability.md
    (FOCUS 1.4) states it: its Schema Structure and object requirements."""
    o = _json(text)
    if not isinstance(o, dict):
        return False
    flags = [o.get(k) for k in ("IsGlobalScope", "IsComplexScope")]
    if any(v is not None and not isinstance(v, bool) for v in flags) or all(flags):
        return False
    if "Applicability" in o and not _fraction(o["Applicability"]):
        return False
    if any(flags):  # global or complex scope: no inclusion boundary
        if "Inclusions" in o and o["Inclusions"] or "InclusionOperator" in o:
            return False
    elif o.get("InclusionOperator") not in ("And", "Or") or not _rules_ok(o.get("Inclusions")):
        return False
    if "Exclusions" in o:
        if not _rules_ok(o["Exclusions"]) or o.get("ExclusionOperator") not in ("And", "Or"):
            return False
    return True


JSON_TYPES = {"Array": list, "Object": dict, "String": str}


def _json_all(text, path, ok):
    """ok holds for every value at path ("$.Key", "$.Key[*]", "$.Key[*].Key")
    in the JSON text; a missing key or text that is not JSON fails."""
    values = [_json(text)]
    if values[0] is NOT_JSON:
        return False
    for step in path.split(".")[1:]:
        each = step.endswith("[*]")
        key = step[:-3] if each else step
        nxt = []
        for v in values:
            if not isinstance(v, dict) or key not in v:
                return False
            if each:
                if not isinstance(v[key], list):
                    return False
                nxt.extend(v[key])
            else:
                nxt.append(v[key])
        values = nxt
    return all(ok(v) for v in values)


def _json_object(v):
    return isinstance(_json(v), dict)


NOT_JSON = object()


@functools.lru_cache(maxsize=65536)  # several rules read the same JSON cell
def _json(text):
    """The value of a JSON text (shared: read it, change nothing), or NOT_JSON."""
    try:
        return json.loads(text)
    except ValueError:
        return NOT_JSON


def check(text, version, dataset="CostAndUsage", limit=3):
    """Violations of the version's rules in the CSV text, at most `limit`
    examples per rule."""
    return check_rows(*read(text), version, dataset, limit)


def check_rows(header, rows, version, dataset="CostAndUsage", limit=3, memo=None):
    """check() over a header and rows as read() gives them. memo: a dict
    kept by the caller for this header and these rows (the same file under
    two versions' rules), in which a check and condition that another
    version's rule has already run keep their failing rows."""
    todo, _ = rules(version, dataset)
    memo = {} if memo is None else memo
    bad = []
    seen = memo.setdefault("values", {})  # the distinct values of each set of columns the rules read
    judged = memo.setdefault(("failing", limit), {})  # the first failing rows of each check and condition
    for r in todo:
        req, cond = r["Requirement"], r.get("Condition")
        f = req["CheckFunction"]
        if f == "ColumnPresent":
            if req["ColumnName"] not in header:
                bad.append((r["ModelRuleId"], f"column {req['ColumnName']} is missing"))
            continue
        if f == "CheckCustomColumnPrefix":  # ours: every column FOCUS does not define carries the prefix
            for c in header:
                if c not in req["FocusColumns"] and not c.startswith(req["Prefix"]):
                    bad.append((r["ModelRuleId"], f"custom column {c} lacks the {req['Prefix']} prefix"))
            continue
        cols = {req.get(k) for k in ("ColumnName", "ColumnAName", "ColumnBName", "ResultColumnName")} - {None, "*DateTime"}
        if any(c not in header for c in cols):
            continue  # the column's absence is its presence rule's business
        if f == "CheckDistinctCount":
            parents = {}
            for row in rows:
                if row.get(req["ColumnAName"]) is not None:
                    parents.setdefault(row[req["ColumnAName"]], set()).add(row.get(req["ColumnBName"]))
            for k, p in parents.items():
                if len(p) != req["ExpectedCount"]:
                    bad.append((r["ModelRuleId"], f"{req['ColumnAName']} {k!r} has {len(p)} {req['ColumnBName']}"))
            continue
        spec = json.dumps([req, cond], sort_keys=True)
        if spec not in judged:
            judged[spec] = _failing(rows, header, req, cond, seen)[:limit]
        for i in judged[spec]:
            bad.append((r["ModelRuleId"], f"row {i + 2}: {r['MustSatisfy']} ({req.get('ColumnName')}="
                                          f"{rows[i].get(req.get('ColumnName'))!r})"))
    return bad


def _failing(rows, header, req, cond, seen):
    """The indices of the rows that meet the condition and fail the check.
    A check reads a few columns, whose values repeat from row to row: each
    distinct combination is judged once (seen keeps them per columns)."""
    ok, when = _compile(req), _compile(cond) if cond else None
    cols = tuple(sorted((_columns(req) | (_columns(cond) if cond else set())) & set(header)))
    if cols not in seen:
        seen[cols] = set(_values(rows, cols))
    failed = {k for k in seen[cols] if not _judge(ok, when, cols, k)}
    return [i for i, k in enumerate(_values(rows, cols)) if k in failed] if failed else []


def _values(rows, cols):
    """Each row's values of cols: the value, for one column, else a tuple;
    a column a (short) row lacks is null, as row.get() has it."""
    if not cols:
        return [()] * len(rows)
    try:
        return list(map(operator.itemgetter(*cols), rows))
    except KeyError:
        return [row.get(cols[0]) if len(cols) == 1 else tuple(row.get(c) for c in cols) for row in rows]


def _judge(ok, when, cols, key):
    """Whether a row with these values of cols passes the check: true where
    the condition does not hold."""
    row = {cols[0]: key} if len(cols) == 1 else dict(zip(cols, key))
    return (when is not None and not when(row)) or ok(row)


def _columns(fn):
    """The columns a check (or condition) reads."""
    cols = set()
    for k in ("ColumnName", "ColumnAName", "ColumnBName", "ResultColumnName"):
        c = fn.get(k)
        if c == "*DateTime":
            cols |= DATETIME_COLUMNS
        elif c:
            cols.add(c)
    for item in fn.get("Items", ()):
        cols |= _columns(item)
    return cols


def allocate_one_month(db):
    """Keep the cost allocation of the database's last month only. Allocation
    makes a record (cost centres + 1) x (products + 1) rows, 16 on the
    demo's data: with a whole year allocated the demo's file is 16 times
    the size, and the rules, which look at every row, would take minutes.
    One month keeps split rows and whole ones side by side."""
    con = sqlite3.connect(db)
    try:
        con.execute("DELETE FROM cost_allocation WHERE substr(day, 1, 7) <>"
                    " (SELECT substr(MAX(day), 1, 7) FROM cost_allocation)")
        con.commit()
        (n,) = con.execute("SELECT COUNT(*) FROM cost_allocation").fetchone()
    finally:
        con.close()
    assert n, "the demo should allocate cost to cost centres and products"


DEMO_NOW = "2026-11-04T06:00:00Z"


def demo_export():
    """The folder holding the demo's database with its last month allocated
    (allocate_one_month), demo.db, and its FOCUS export in each version:
    focus-V.csv, and for 1.3 and 1.4 focus-V.contract-commitment.csv and
    focus-V.metadata.json beside it. Made once per dtcost binary for the
    test files that read it (shared.made_once): read it, write nothing there."""
    def make(folder):
        db = os.path.join(folder, "demo.db")
        # on a fixed clock three days into a month, so the month allocate_one_month keeps is three
        # days long whatever today's date (on the real clock it grew to 30 by each month's end)
        r = subprocess.run([DTCOST, "demo", "--db", db, "--now", DEMO_NOW], capture_output=True, text=True,
                           timeout=240)
        assert r.returncode == 0, r.stderr
        allocate_one_month(db)
        for v in ("1.2", "1.3", "1.4"):
            r = subprocess.run([DTCOST, "export", "--db", db, "--format", "focus", "--focus-version", v, "--out",
                                os.path.join(folder, f"focus-{v}.csv")], capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, r.stderr

    return made_once(["demo", DEMO_NOW, "allocate_one_month", "export focus 1.2 1.3 1.4"], make)


def apportion(amount, weights):
    """The export's split rule (src/lib/export.c): floors, then one
    micro-unit each to the largest remainders, the earlier weight on a tie."""
    whole = sum(weights)
    parts = [amount * w // whole for w in weights]
    rem = [amount * w % whole for w in weights]
    for _ in range(amount - sum(parts)):
        i = max(range(len(weights)), key=lambda k: (rem[k], -k))
        parts[i] += 1
        rem[i] = -1
    return parts
