"""Bounds of the integers the API takes: what the stores' 64-bit integers hold.

An unbounded integer parameter reached SQL as a number SQLite and psycopg
cannot bind (OverflowError: a 500, and a dead event stream); bounded here, it
is a 422 (query, body) or 400 (header) with the reason.
"""

from __future__ import annotations

import re

# BIGINT in PostgreSQL, INTEGER in SQLite: notification ids, offsets.
SQL_INT_MAX = 2**63 - 1

_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_notification_id(text: str) -> int | None:
    """The notification id a header gives, or None if it is not one."""
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if value <= SQL_INT_MAX else None
