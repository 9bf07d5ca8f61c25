"""API tokens and roles.

Tokens are random, shown once, and stored only as SHA-256 hashes, in the event
store's database (they are not a read model: a replay must not drop them).

A token either belongs to a user (services/infra/accounts.py): it acts as that
user, with the user's role and team as they are now, and stops working when
the user is disabled; or it stands alone with a role and a name of its own
(machine clients, and tokens made before there were users). Any token may
expire and may be revoked.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from services.infra.sql import SqlRunner

if TYPE_CHECKING:  # accounts imports this module for Role and Principal
    from services.infra.accounts import UserStore


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"
    # An outside organisation: only what is shared with it (domain/partner_access.py).
    PARTNER = "partner"


CACHE_SECONDS = 10.0

# Who may do what: reading is for every role; acting on customers is not for auditors.
# Partners act too, but only on the routes and objects the partner gate lets
# through (services/entry/api/deps.py, domain/partner_access.py).
CAN_ACT = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.PARTNER})


@dataclass(frozen=True)
class Principal:
    """Who makes the call. `name` is what the history records (who claimed a
    case): two principals with one name are one agent."""

    name: str
    role: Role
    team: str | None = None
    # The partner organisation of a `partner` token (None for every other role).
    partner: str | None = None

    @property
    def can_act(self) -> bool:
        return self.role in CAN_ACT


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown about a token: everything but the secret."""

    name: str
    user: str | None
    role: Role
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


# Names appear in the history (who claimed a case) and in URLs: keep them plain.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"
_NAME = re.compile(NAME_PATTERN)


class InvalidName(ValueError):
    """A user, team or token name that is not a plain name."""


def check_name(name: str, what: str = "user name") -> None:
    if not _NAME.match(name):
        raise InvalidName(
            f"{what} {name!r} must be 1 to 64 letters, digits or . _ @ -,"
            " starting with a letter or digit"
        )


class TokenRefused(ValueError):
    """The token cannot be made; the message says why."""


class TokenNotFound(LookupError):
    """No token has this name."""


def new_token_name(prefix: str) -> str:
    """A name no other token has (with overwhelming odds): tokens made without
    a name must not share one, or their holders would be one agent."""
    return f"{prefix}-{secrets.token_hex(4)}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class TokenStore:
    def __init__(
        self, db: SqlRunner, users: UserStore, clock: Callable[[], datetime] = _utcnow
    ) -> None:
        # `users` is here for its table: a token's principal is read from it.
        self.db = db
        self.users = users
        self.clock = clock
        self._cache: dict[str, tuple[Principal, float, datetime | None]] = {}
        with db.transaction(commit=True) as cursor:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS contacthub_api_tokens ("
                " token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,"
                " created_at TEXT NOT NULL, revoked_at TEXT)"
            )
        # Tables made before users and expiry lack these; NULL means none.
        db.ensure_columns(
            "contacthub_api_tokens",
            {"user_name": "TEXT", "expires_at": "TEXT", "partner": "TEXT"},
        )

    def create(
        self,
        role: Role,
        name: str,
        *,
        expires_at: datetime | None = None,
        partner: str | None = None,
    ) -> str:
        """A token of its own (no user) with this role and name; a `partner`
        token is bound to its organisation (`partner`); one without is refused
        on every route (services/entry/api/partner_gate.py)."""
        check_name(name, "token name")
        if partner is not None and role is not Role.PARTNER:
            raise TokenRefused("only a partner token has a partner organisation")
        if self.users.get(name) is not None:
            raise TokenRefused(f"{name} is a user: make the token with --user {name}")
        token = self._insert(
            "INSERT INTO contacthub_api_tokens"
            " (token_hash, name, role, created_at, expires_at, partner)"
            " VALUES (%(h)s, %(name)s, %(role)s, %(at)s, %(expires)s, %(partner)s)"
            " RETURNING name",
            {"name": name, "role": role.value, "partner": partner},
            expires_at,
        )
        assert token is not None  # VALUES always inserts
        return token

    def create_for_user(
        self, user: str, *, name: str | None = None, expires_at: datetime | None = None
    ) -> tuple[str, str]:
        """A token acting as the user; returns (its name, the token)."""
        name = name or new_token_name(user)
        check_name(name, "token name")
        # One statement: a user disabled meanwhile gets no token.
        token = self._insert(
            "INSERT INTO contacthub_api_tokens"
            " (token_hash, name, role, created_at, user_name, expires_at)"
            " SELECT %(h)s, %(name)s, role, %(at)s, name, %(expires)s FROM contacthub_users"
            " WHERE name = %(user)s AND disabled_at IS NULL RETURNING name",
            {"name": name, "user": user},
            expires_at,
        )
        if token is None:
            found = self.users.get(user)
            raise TokenRefused(f"no user {user}" if found is None else f"user {user} is disabled")
        return name, token

    def _insert(
        self, statement: str, params: dict[str, Any], expires_at: datetime | None
    ) -> str | None:
        """Runs the INSERT with a new token's hash; the token, or None if the
        statement inserted nothing."""
        token = "chub_" + secrets.token_urlsafe(32)
        with self.db.transaction(commit=True) as cursor:
            self.db.run(
                cursor,
                statement,
                {
                    **params,
                    "h": _digest(token),
                    "at": self.clock().isoformat(),
                    "expires": expires_at.isoformat() if expires_at else None,
                },
            )
            inserted = bool(cursor.fetchall())
        return token if inserted else None

    def all(self) -> list[TokenInfo]:
        rows = self.db.query(
            "SELECT t.name, t.user_name, COALESCE(u.role, t.role) AS role, t.created_at,"
            " t.expires_at, t.revoked_at FROM contacthub_api_tokens t"
            " LEFT JOIN contacthub_users u ON u.name = t.user_name"
            " ORDER BY t.created_at, t.name"
        )
        return [
            TokenInfo(
                name=row["name"],
                user=row["user_name"],
                role=Role(row["role"]),
                created_at=datetime.fromisoformat(row["created_at"]),
                expires_at=_when(row["expires_at"]),
                revoked_at=_when(row["revoked_at"]),
            )
            for row in rows
        ]

    def revoke(self, name: str) -> int:
        """Revokes every token with this name; returns how many were still valid.
        Other processes may accept one for up to CACHE_SECONDS more."""
        with self.db.transaction(commit=True) as cursor:
            self.db.run(
                cursor,
                "UPDATE contacthub_api_tokens SET revoked_at = %(at)s"
                " WHERE name = %(name)s AND revoked_at IS NULL RETURNING name",
                {"name": name, "at": self.clock().isoformat()},
            )
            revoked = len(cursor.fetchall())
            if not revoked:
                self.db.run(
                    cursor,
                    "SELECT name FROM contacthub_api_tokens WHERE name = %(name)s",
                    {"name": name},
                )
                if not cursor.fetchall():
                    raise TokenNotFound(f"no token {name}")
        self.forget_cached()
        return revoked

    def forget_cached(self) -> None:
        """After a revocation or a disabled user: this process checks again."""
        self._cache.clear()

    def cached(self, token: str) -> Principal | None:
        """The principal if the token was accepted less than CACHE_SECONDS ago.

        Every API call is authenticated; a database round trip each time would
        be a large share of a 360 read. A revoked token, or one of a user
        disabled in another process, stops working within CACHE_SECONDS."""
        hit = self._cache.get(_digest(token))
        if hit is None or hit[1] < time.monotonic():
            return None
        principal, _, expires_at = hit
        if expires_at is not None and self.clock() >= expires_at:
            return None
        return principal

    def authenticate(self, token: str) -> Principal | None:
        found = self._lookup(token)
        if found is not None:
            principal, expires_at = found
            self._cache[_digest(token)] = (
                principal,
                time.monotonic() + CACHE_SECONDS,
                expires_at,
            )
            if len(self._cache) > 10_000:  # bounded: forget the oldest half
                for key in list(self._cache)[:5_000]:
                    del self._cache[key]
            return principal
        return None

    def _lookup(self, token: str) -> tuple[Principal, datetime | None] | None:
        rows = self.db.query(
            "SELECT t.name, t.role, t.user_name, t.expires_at, t.partner,"
            " u.role AS user_role, u.team,"
            " u.disabled_at FROM contacthub_api_tokens t"
            " LEFT JOIN contacthub_users u ON u.name = t.user_name"
            " WHERE t.token_hash = %(h)s AND t.revoked_at IS NULL",
            {"h": _digest(token)},
        )
        if not rows:
            return None
        row = rows[0]
        expires_at = _when(row["expires_at"])
        if expires_at is not None and self.clock() >= expires_at:
            return None
        if row["user_name"] is None:
            return Principal(row["name"], Role(row["role"]), partner=row["partner"]), expires_at
        if row["user_role"] is None or row["disabled_at"] is not None:
            return None  # the user is disabled (or gone)
        return Principal(row["user_name"], Role(row["user_role"]), row["team"]), expires_at
