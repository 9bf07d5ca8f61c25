"""User accounts: a name, a role, a team, an argon2 password hash, and logins.

Stored in the event store's database next to the API tokens: accounts are not
a read model, so a replay must not drop them. A user is disabled, never
deleted: the history names its agents, and a name must not come back as
someone else. Logins count consecutive failures in the same row, so the lock
holds across processes (domain/logins.py decides).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.logins import LoginFailures, after_failure, is_locked
from services.infra.auth import Principal, Role, check_name
from services.infra.passwords import Passwords
from services.infra.sql import SqlRunner

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class UserExists(ValueError):
    """A user with this name exists (perhaps disabled: names are not reused)."""


class UserNotFound(LookupError):
    """No user with this name."""


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    team: str | None
    created_at: datetime
    disabled_at: datetime | None
    locked_until: datetime | None

    @property
    def principal(self) -> Principal:
        return Principal(self.name, self.role, self.team)


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _user(row: dict[str, Any]) -> User:
    return User(
        name=row["name"],
        role=Role(row["role"]),
        team=row["team"],
        created_at=datetime.fromisoformat(row["created_at"]),
        disabled_at=_when(row["disabled_at"]),
        locked_until=_when(row["locked_until"]),
    )


_COLUMNS = "name, role, team, created_at, disabled_at, locked_until"


class UserStore:
    def __init__(
        self, db: SqlRunner, passwords: Passwords | None = None, clock: Clock = _utcnow
    ) -> None:
        self.db = db
        self.passwords = passwords or Passwords()
        self.clock = clock
        with db.transaction(commit=True) as cursor:
            # Times are ISO 8601 text in UTC, as in the token table.
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS contacthub_users ("
                " name TEXT PRIMARY KEY, role TEXT NOT NULL, team TEXT,"
                " password_hash TEXT NOT NULL, created_at TEXT NOT NULL, disabled_at TEXT,"
                " failed_logins INTEGER NOT NULL DEFAULT 0, locked_until TEXT)"
            )

    def create(self, name: str, role: Role, password: str, team: str | None = None) -> User:
        check_name(name)
        if team is not None:
            check_name(team, "team name")
        password_hash = self.passwords.hash(password)  # before the transaction: it is slow
        with self.db.transaction(commit=True) as cursor:
            self.db.run(
                cursor,
                "INSERT INTO contacthub_users (name, role, team, password_hash, created_at)"
                " VALUES (%(name)s, %(role)s, %(team)s, %(hash)s, %(at)s)"
                " ON CONFLICT (name) DO NOTHING RETURNING name",
                {
                    "name": name,
                    "role": role.value,
                    "team": team,
                    "hash": password_hash,
                    "at": self.clock().isoformat(),
                },
            )
            if not cursor.fetchall():
                raise UserExists(f"user {name} exists")
        return self._get(name)

    def get(self, name: str) -> User | None:
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM contacthub_users WHERE name = %(name)s", {"name": name}
        )
        return _user(rows[0]) if rows else None

    def all(self) -> list[User]:
        rows = self.db.query(f"SELECT {_COLUMNS} FROM contacthub_users ORDER BY name")
        return [_user(row) for row in rows]

    def disable(self, name: str) -> User:
        """Disables the user: no login, and every token of theirs stops working.
        Disabling a disabled user keeps the first time."""
        self._update(
            name,
            "UPDATE contacthub_users SET disabled_at = COALESCE(disabled_at, %(at)s)"
            " WHERE name = %(name)s RETURNING name",
            {"at": self.clock().isoformat()},
        )
        return self._get(name)

    def set_password(self, name: str, password: str) -> None:
        """A new password; it also lifts a login lock (an admin set it)."""
        password_hash = self.passwords.hash(password)
        self._update(
            name,
            "UPDATE contacthub_users SET password_hash = %(hash)s, failed_logins = 0,"
            " locked_until = NULL WHERE name = %(name)s RETURNING name",
            {"hash": password_hash},
        )

    def verify_login(self, name: str, password: str) -> Principal | None:
        """The user's principal if the password is right and the user may log in.

        Unknown, disabled and locked users cost one argon2 verification too, so
        the time taken does not tell them apart from a wrong password. While
        locked, the password is not even checked (guessing on learns nothing)."""
        rows = self.db.query(
            f"SELECT {_COLUMNS}, password_hash, failed_logins FROM contacthub_users"
            " WHERE name = %(name)s",
            {"name": name},
        )
        if not rows:
            self.passwords.verify(None, password)
            return None
        row = rows[0]
        user = _user(row)
        now = self.clock()
        if user.disabled_at is not None or is_locked(
            LoginFailures(row["failed_logins"], user.locked_until), now
        ):
            self.passwords.verify(None, password)
            return None
        if not self.passwords.verify(row["password_hash"], password):
            self._count_failure(name, now)
            return None
        self._after_success(name, row, password)
        return user.principal

    def _count_failure(self, name: str, now: datetime) -> None:
        with self.db.transaction(commit=True) as cursor:
            # One atomic increment: concurrent failures in several processes all count.
            self.db.run(
                cursor,
                "UPDATE contacthub_users SET failed_logins = failed_logins + 1"
                " WHERE name = %(name)s RETURNING failed_logins",
                {"name": name},
            )
            found = cursor.fetchall()
            if not found:
                return
            state = after_failure(int(found[0]["failed_logins"]), now)
            if state.locked_until is not None:
                self.db.run(
                    cursor,
                    "UPDATE contacthub_users SET failed_logins = %(count)s,"
                    " locked_until = %(until)s WHERE name = %(name)s",
                    {
                        "name": name,
                        "count": state.count,
                        "until": state.locked_until.isoformat(),
                    },
                )

    def _after_success(self, name: str, row: dict[str, Any], password: str) -> None:
        rehash = self.passwords.needs_rehash(row["password_hash"])
        if not rehash and row["failed_logins"] == 0 and row["locked_until"] is None:
            return  # the usual login writes nothing
        # The hasher's parameters changed since: store a hash made with them.
        fresh_hash = self.passwords.hasher.hash(password) if rehash else None
        with self.db.transaction(commit=True) as cursor:
            self.db.run(
                cursor,
                "UPDATE contacthub_users SET failed_logins = 0, locked_until = NULL"
                " WHERE name = %(name)s",
                {"name": name},
            )
            if fresh_hash is not None:
                self.db.run(
                    cursor,
                    "UPDATE contacthub_users SET password_hash = %(hash)s"
                    " WHERE name = %(name)s AND password_hash = %(old)s",
                    {"name": name, "hash": fresh_hash, "old": row["password_hash"]},
                )

    def _update(self, name: str, statement: str, params: dict[str, Any]) -> None:
        with self.db.transaction(commit=True) as cursor:
            self.db.run(cursor, statement, {**params, "name": name})
            if not cursor.fetchall():
                raise UserNotFound(f"no user {name}")

    def _get(self, name: str) -> User:
        user = self.get(name)
        if user is None:
            raise UserNotFound(f"no user {name}")
        return user
