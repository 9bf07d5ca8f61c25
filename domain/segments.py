"""Segments: a small JSON filter language over per-customer facts, evaluated purely.

    filter    := {"all": [filter, ...]} | {"any": [filter, ...]} | {"not": filter}
               | {"field": NAME, "op": OP, "value": VALUE}

Fields (FIELDS below) are numbers, text, yes/no or sets. Operators:
numbers take eq, ne, lt, le, gt, ge; text takes eq, ne, in (a list); yes/no
takes eq; sets take contains (one value) and contains_any (a list). A fact
that is unknown for a customer (e.g. days_since_last_order for one who never
ordered) matches no comparison, except `ne`. `{"all": []}` matches everyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 8
MAX_CONDITIONS = 100

NUMBER, TEXT, FLAG, SET = "number", "text", "flag", "set"
FIELDS: dict[str, tuple[str, str]] = {
    # profile
    "language": (TEXT, "preferred language, e.g. de"),
    "source_channel": (TEXT, "the channel of the first contact"),
    "channels": (SET, "channels the customer has an address on: sms, email, ..."),
    # behaviour
    "revenue": (NUMBER, "revenue kept, all time (currency units)"),
    "order_count": (NUMBER, "orders of which something was kept"),
    "average_basket": (NUMBER, "revenue / order_count"),
    "days_since_last_order": (NUMBER, "days since the last order that counts"),
    "categories": (SET, "product categories bought and kept"),
    "products": (SET, "skus bought and kept"),
    # classification
    "abc_class": (TEXT, "A, B or C (unknown without revenue in the ABC window)"),
    "rfm_segment": (TEXT, "champions, loyal, new, at_risk, hibernating, potential, ..."),
    "recency": (NUMBER, "RFM recency score 1-5"),
    "frequency": (NUMBER, "RFM frequency score 1-5"),
    "monetary": (NUMBER, "RFM monetary score 1-5"),
    "churn_risk": (FLAG, "flagged at churn risk"),
    # complaints
    "complaints": (NUMBER, "complaint cases ever"),
    "open_complaints": (NUMBER, "complaint cases open now"),
    # consent
    "opted_out": (SET, "channels the customer opted out of"),
    "opted_in": (SET, "channels the customer explicitly opted in to"),
}
OPS = {
    NUMBER: {"eq", "ne", "lt", "le", "gt", "ge"},
    TEXT: {"eq", "ne", "in"},
    FLAG: {"eq"},
    SET: {"contains", "contains_any"},
}


class InvalidFilter(ValueError):
    """The filter is not in the language; the message says where."""


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class Combined:
    kind: str  # all | any | not
    parts: tuple[Filter, ...]


Filter = Condition | Combined


def parse_filter(raw: Any, depth: int = 0, counter: list[int] | None = None) -> Filter:
    counter = counter if counter is not None else [0]
    if depth > MAX_DEPTH:
        raise InvalidFilter(f"filters nest at most {MAX_DEPTH} deep")
    if not isinstance(raw, dict):
        raise InvalidFilter(f"a filter is an object, not {type(raw).__name__}")
    keys = set(raw)
    if keys in ({"all"}, {"any"}):
        (kind,) = keys
        parts = raw[kind]
        if not isinstance(parts, list):
            raise InvalidFilter(f"{kind!r} takes a list of filters")
        return Combined(kind, tuple(parse_filter(p, depth + 1, counter) for p in parts))
    if keys == {"not"}:
        return Combined("not", (parse_filter(raw["not"], depth + 1, counter),))
    if keys != {"field", "op", "value"}:
        raise InvalidFilter(
            'expected {"all": [...]}, {"any": [...]}, {"not": ...} or '
            f'{{"field", "op", "value"}}, not keys {sorted(keys)}'
        )
    counter[0] += 1
    if counter[0] > MAX_CONDITIONS:
        raise InvalidFilter(f"at most {MAX_CONDITIONS} conditions")
    return _condition(raw["field"], raw["op"], raw["value"])


def _condition(field: Any, op: Any, value: Any) -> Condition:
    if field not in FIELDS:
        raise InvalidFilter(f"unknown field {field!r}; fields: {', '.join(FIELDS)}")
    kind = FIELDS[field][0]
    if op not in OPS[kind]:
        raise InvalidFilter(f"{field} ({kind}) takes {', '.join(sorted(OPS[kind]))}, not {op!r}")
    many = op in ("in", "contains_any")
    values = value if many else [value]
    if many and not isinstance(value, list):
        raise InvalidFilter(f"{op} on {field} takes a list")
    for v in values:
        ok = (
            isinstance(v, int | float) and not isinstance(v, bool)
            if kind == NUMBER
            else isinstance(v, bool)
            if kind == FLAG
            else isinstance(v, str)
        )
        if not ok:
            raise InvalidFilter(f"{field} compares with a {kind}, not {v!r}")
    return Condition(field, op, tuple(value) if many else value)


def matches(f: Filter, facts: Mapping[str, Any]) -> bool:
    if isinstance(f, Combined):
        if f.kind == "all":
            return all(matches(p, facts) for p in f.parts)
        if f.kind == "any":
            return any(matches(p, facts) for p in f.parts)
        return not matches(f.parts[0], facts)
    fact = facts.get(f.field)
    if f.op == "ne":
        return bool(fact != f.value)
    if fact is None:
        return False
    if f.op == "eq":
        return bool(fact == f.value)
    if f.op == "in":
        return bool(fact in f.value)
    if f.op == "contains":
        return bool(f.value in fact)
    if f.op == "contains_any":
        return any(v in fact for v in f.value)
    compare = {
        "lt": fact < f.value,
        "le": fact <= f.value,
        "gt": fact > f.value,
        "ge": fact >= f.value,
    }
    return bool(compare[f.op])
