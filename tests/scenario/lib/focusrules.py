"""Runs dtcost's transcription of the FOCUS requirements model
(tests/data/focus/requirements.json) over a FOCUS CSV file: a small
interpreter for the model's CheckFunction vocabulary. check() returns the
violations as (rule id, message) pairs; rules() lists what applies to a
version and what is skipped, with the reason."""
import csv
import datetime as dt
import io
import json
import os
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data", "focus", "requirements.json")
NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")  # NumericFormat: plain decimal, no exponent, no separators
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DATA_SIZE = r"(?:[KMGTPE]i?[bB]|[bB])"
TIME = r"(?:Years?|Months?|Days?|Hours?|Minutes?|Seconds?|Milliseconds?|Microseconds?)"
NOUN = r"(?:[A-Z][A-Za-z]*)"  # a capitalized noun (a count-based unit)
BASE = f"(?:{DATA_SIZE}|{TIME}|{NOUN})"
UNIT = re.compile(rf"^(?:[1-9]\d* )?{BASE}(?:-{BASE})?(?:/(?:[1-9]\d* )?{BASE})?$")
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
    return header, [{h: (v if v != "" else None) for h, v in zip(header, row)} for row in rd]


def _dec(v):
    try:
        return Decimal(v)
    except (InvalidOperation, TypeError):
        return None


def _eq(value, want):
    if want is None:
        return value is None
    if isinstance(want, (int, float)) and value is not None:
        d = _dec(value)
        return d is not None and d == Decimal(str(want))
    return value == want


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


def _row_check(fn, row):
    """True when the row satisfies the check (a null passes a format check:
    nullability is its own rule)."""
    f = fn["CheckFunction"]
    col = fn.get("ColumnName")
    v = row.get(col) if col else None
    if f == "AND":
        return all(_row_check(i, row) for i in fn["Items"])
    if f == "OR":
        return any(_row_check(i, row) for i in fn["Items"])
    if f == "CheckValue":
        return _eq(v, fn["Value"])
    if f == "CheckNotValue":
        return not _eq(v, fn["Value"])
    if f == "CheckSameValue":
        return row.get(fn["ColumnAName"]) == row.get(fn["ColumnBName"])
    if f == "CheckNotSameValue":
        return row.get(fn["ColumnAName"]) != row.get(fn["ColumnBName"])
    if f in ("TypeDecimal", "FormatNumeric", "CheckDecimalValue"):
        return v is None or bool(NUMERIC.match(v))
    if f == "TypeDateTime":
        return _datetime(v)
    if f == "FormatDateTime":
        if col == "*DateTime":
            return all(_datetime(row[c]) for c in DATETIME_COLUMNS if c in row)
        return _datetime(v)
    if f == "TypeString":
        return True  # every CSV field is a string
    if f == "FormatString":  # StringHandling: no control characters, not padded
        return v is None or (v == v.strip() and not re.search(r"[\x00-\x1f]", v))
    if f == "FormatCurrency":
        return v is None or bool(re.match(r"^[A-Z]{3}$", v))
    if f == "CheckNationalCurrency":  # ISO 4217 X-codes are metals, funds and test codes
        return v is None or (bool(re.match(r"^[A-Z]{3}$", v)) and not v.startswith("X"))
    if f == "FormatUnit":
        return v is None or bool(UNIT.match(v))
    if f in ("FormatJSONFormat", "FormatKeyValue"):
        if v is None:
            return True
        try:
            return isinstance(json.loads(v), dict)
        except ValueError:
            return False
    if f == "ColumnByColumnEqualsColumnValue":
        a, b, r = (_dec(row.get(fn[k])) for k in ("ColumnAName", "ColumnBName", "ResultColumnName"))
        if a is None or b is None or r is None:
            return False
        places = Decimal(1).scaleb(r.as_tuple().exponent)  # equal at the precision the file states
        return (a * b).quantize(places, rounding=ROUND_HALF_UP) == r
    raise ValueError(f"check function {f} is not implemented")


def check(text, version, dataset="CostAndUsage", limit=3):
    """Violations of the version's rules in the CSV text, at most `limit`
    examples per rule."""
    header, rows = read(text)
    todo, _ = rules(version, dataset)
    bad = []
    for r in todo:
        req, cond = r["Requirement"], r.get("Condition")
        f = req["CheckFunction"]
        if f == "ColumnPresent":
            if req["ColumnName"] not in header:
                bad.append((r["ModelRuleId"], f"column {req['ColumnName']} is missing"))
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
        n = 0
        for i, row in enumerate(rows):
            if cond and not _row_check(cond, row):
                continue
            if not _row_check(req, row):
                n += 1
                if n <= limit:
                    bad.append((r["ModelRuleId"], f"row {i + 2}: {r['MustSatisfy']} ({req.get('ColumnName')}="
                                                  f"{row.get(req.get('ColumnName'))!r})"))
    return bad
