"""API tokens and roles (docs/ARCHITECTURE.md, guarantees: roles).

Tokens are random, shown once, and stored only as SHA-256 hashes, in the event
store's database (they are not a read model: a replay must not drop them).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from services.infra.sql import SqlRunner


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"


CACHE_SECONDS = 10.0

# Who may do what: reading is for every role; acting on customers is not for auditors.
CAN_ACT = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role

    @property
    def can_act(self) -> bool:
        return self.role in CAN_ACT


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, db: SqlRunner) -> None:
        self.db = db
        self._cache: dict[str, tuple[Principal, float]] = {}
        with db.transaction(commit=True) as cursor:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS contacthub_api_tokens ("
                " token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,"
                " created_at TEXT NOT NULL, revoked_at TEXT)"
            )

    def create(self, role: Role, name: str) -> str:
        token = "chub_" + secrets.token_urlsafe(32)
        with self.db.transaction(commit=True) as cursor:
            self.db.run(
                cursor,
                "INSERT INTO contacthub_api_tokens (token_hash, name, role, created_at)"
                " VALUES (%(h)s, %(name)s, %(role)s, %(at)s)",
                {
                    "h": _digest(token),
                    "name": name,
                    "role": role.value,
                    "at": datetime.now(UTC).isoformat(),
                },
            )
        return token

    def cached(self, token: str) -> Principal | None:
        """The principal if the token was accepted less than CACHE_SECONDS ago.

        Every API call is authenticated; a database round trip each time would
        be a large share of a 360 read. A revoked token stops working within
        CACHE_SECONDS."""
        hit = self._cache.get(_digest(token))
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def authenticate(self, token: str) -> Principal | None:
        principal = self._lookup(token)
        if principal is not None:
            self._cache[_digest(token)] = (principal, time.monotonic() + CACHE_SECONDS)
            if len(self._cache) > 10_000:  # bounded: forget the oldest half
                for key in list(self._cache)[:5_000]:
                    del self._cache[key]
        return principal

    def _lookup(self, token: str) -> Principal | None:
        rows = self.db.query(
            "SELECT name, role FROM contacthub_api_tokens"
            " WHERE token_hash = %(h)s AND revoked_at IS NULL",
            {"h": _digest(token)},
        )
        return Principal(rows[0]["name"], Role(rows[0]["role"])) if rows else None
