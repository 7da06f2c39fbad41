"""Small assertion helpers for scenario tests: JSON shapes and types."""
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
