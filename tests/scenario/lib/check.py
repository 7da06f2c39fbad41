"""Small assertion helpers for scenario tests: JSON shapes and types, and
checks over many rows that fail once."""
import re

ISO_DT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


TYPES = {
    "string": lambda v: isinstance(v, str),
    "number": is_number,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "date-time": lambda v: isinstance(v, str) and ISO_DT.match(v) is not None,
    "date": lambda v: isinstance(v, str) and ISO_DATE.match(v) is not None,
}


def shape(obj, fields, where="object"):
    """Assert every required field is present with its type: fields maps name -> type name."""
    assert isinstance(obj, dict), f"{where}: not an object: {obj!r}"
    for name, typ in fields.items():
        assert name in obj, f"{where}: required field {name!r} missing in {sorted(obj)}"
        assert TYPES[typ](obj[name]), f"{where}.{name}: expected {typ}, got {obj[name]!r}"


class Mismatches:
    """Checks over many rows that fail once, at the end, naming the first few
    that did not hold and how many did not: an assertEqual per row costs a
    hundred thousand calls on a FOCUS file. `where` names the row: anything
    `name` (str by default) turns into text, only when a check fails."""

    def __init__(self):
        self.bad = []

    def eq(self, got, want, where):
        if got != want:
            self.bad.append((got, want, where))

    def almost(self, got, want, places, where):
        """unittest's assertAlmostEqual: equal when rounded to places."""
        if got != want and round(abs(got - want), places) != 0:
            self.bad.append((got, want, where))

    def done(self, test, what, name=str, limit=3):
        """Fail the test case when any check did not hold."""
        if self.bad:
            test.fail(f"{what}: {len(self.bad)} checks failed; " + "; ".join(
                f"{name(where)}: {got!r} != {want!r}" for got, want, where in self.bad[:limit]))


def all_equal(test, triples, what, name=str, limit=3):
    """Fail the test case unless got == want for each (got, want, where)."""
    m = Mismatches()
    m.bad = [(got, want, where) for got, want, where in triples if got != want]
    m.done(test, what, name, limit)
