"""A strict reader of the Prometheus text exposition format (0.0.4), for
tests: it raises on anything a Prometheus server would refuse or that the
format's rules forbid (names, label syntax and escapes, values, TYPE after
samples, a family split in two, duplicate series)."""
import math
import re

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class ParseError(ValueError):
    pass


def _value(text, where):
    if text in ("NaN", "+Inf", "-Inf", "Inf"):
        return float(text.replace("Inf", "inf"))
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
        raise ParseError(f"{where}: bad value {text!r}")
    return float(text)


def _labels(s, i, where):
    """Parse '{a="b",...}' starting at s[i] == '{'; return (dict, next index)."""
    labels = {}
    i += 1
    while True:
        if s[i] == "}":
            return labels, i + 1
        m = LABEL.match(s, i)
        if not m:
            raise ParseError(f"{where}: bad label name at {s[i:i + 20]!r}")
        name = m.group(0)
        i = m.end()
        if s[i:i + 2] != '="':
            raise ParseError(f"{where}: expected =\" after label {name}")
        i += 2
        val = []
        while s[i] != '"':
            if s[i] == "\\":
                esc = s[i + 1]
                if esc not in '\\"n':
                    raise ParseError(f"{where}: bad escape \\{esc}")
                val.append("\n" if esc == "n" else esc)
                i += 2
            elif s[i] == "\n":
                raise ParseError(f"{where}: newline in a label value")
            else:
                val.append(s[i])
                i += 1
        i += 1
        if name in labels:
            raise ParseError(f"{where}: label {name} twice")
        labels[name] = "".join(val)
        if s[i] == ",":
            i += 1
        elif s[i] != "}":
            raise ParseError(f"{where}: expected , or }} after label {name}")


def parse(text):
    """Families: name -> {"type", "help", "samples": [(labels dict, value)]}."""
    if text and not text.endswith("\n"):
        raise ParseError("the exposition must end with a newline")
    families = {}
    order = []  # family of each sample/metadata line, to check contiguity
    seen = set()
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = f"line {n}"
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not NAME.fullmatch(name):
                    raise ParseError(f"{where}: bad metric name {name!r}")
                fam = families.setdefault(name, {"type": None, "help": None, "samples": []})
                if parts[1] == "TYPE":
                    typ = parts[3] if len(parts) > 3 else ""
                    if typ not in TYPES:
                        raise ParseError(f"{where}: bad type {typ!r}")
                    if fam["type"] is not None or fam["samples"]:
                        raise ParseError(f"{where}: TYPE of {name} twice or after its samples")
                    fam["type"] = typ
                else:
                    if fam["help"] is not None:
                        raise ParseError(f"{where}: HELP of {name} twice")
                    fam["help"] = parts[3] if len(parts) > 3 else ""
                order.append(name)
            continue
        m = NAME.match(line)
        if not m:
            raise ParseError(f"{where}: bad sample {line[:40]!r}")
        name = m.group(0)
        i = m.end()
        labels = {}
        if i < len(line) and line[i] == "{":
            labels, i = _labels(line + "\n", i, where)
        rest = line[i:]
        if not rest.startswith(" "):
            raise ParseError(f"{where}: expected a space before the value")
        fields = rest.split()
        if len(fields) not in (1, 2):
            raise ParseError(f"{where}: expected value [timestamp]")
        value = _value(fields[0], where)
        if len(fields) == 2 and not re.fullmatch(r"-?\d+", fields[1]):
            raise ParseError(f"{where}: bad timestamp")
        base = name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and name[: -len(suffix)] in families and \
                    families[name[: -len(suffix)]]["type"] in ("histogram", "summary"):
                base = name[: -len(suffix)]
        fam = families.setdefault(base, {"type": None, "help": None, "samples": []})
        if fam["type"] == "counter" and (value < 0 or math.isnan(value)):
            raise ParseError(f"{where}: counter {name} is {value}")
        key = (name, tuple(sorted(labels.items())))
        if key in seen:
            raise ParseError(f"{where}: duplicate series {key}")
        seen.add(key)
        fam["samples"].append((labels, value))
        order.append(base)
    # Every family in one group.
    done = set()
    prev = None
    for name in order:
        if name != prev:
            if name in done:
                raise ParseError(f"family {name} is split into more than one group")
            if prev is not None:
                done.add(prev)
            prev = name
    return families


def value(families, name, **labels):
    for lab, v in families[name]["samples"]:
        if all(lab.get(k) == str(x) for k, x in labels.items()):
            return v
    raise KeyError((name, labels))
