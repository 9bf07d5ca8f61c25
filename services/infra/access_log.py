"""Who looked at what: every read of a customer's personal data, durably.

Kept in the event store's database next to the tokens and users: the log is
no read model, so a replay must not drop it, and no customer event is written
for a read (reads would then change the customer's history). A row names the
user and role, the time, what was read (`customer_360`, `interaction`,
`attachment`, `export`), the customer, and the interaction if one was read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from services.infra.sql import SqlRunner

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Access:
    id: UUID
    at: datetime
    user: str
    role: str
    what: str
    customer_id: UUID | None
    interaction_id: UUID | None


def _access(row: dict[str, Any]) -> Access:
    return Access(
        id=UUID(row["id"]),
        at=datetime.fromisoformat(row["at"]),
        user=row["user_name"],
        role=row["role"],
        what=row["what"],
        customer_id=UUID(row["customer_id"]) if row["customer_id"] else None,
        interaction_id=UUID(row["interaction_id"]) if row["interaction_id"] else None,
    )


class AccessLog:
    def __init__(self, db: SqlRunner, clock: Clock = _utcnow) -> None:
        self.db = db
        self.clock = clock
        with db.transaction(commit=True) as cursor:
            # Times are ISO 8601 text in UTC (as in the token table), so they sort as text.
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS contacthub_access_log ("
                " id TEXT PRIMARY KEY, at TEXT NOT NULL, user_name TEXT NOT NULL,"
                " role TEXT NOT NULL, what TEXT NOT NULL, customer_id TEXT,"
                " interaction_id TEXT)"
            )
            cursor.execute(
                "CREATE INDEX IF NOT EXISTS contacthub_access_log_customer"
                " ON contacthub_access_log (customer_id, at)"
            )

    def record(
        self,
        *,
        user: str,
        role: str,
        what: str,
        customer_id: UUID | None,
        interaction_id: UUID | None = None,
    ) -> Access:
        access = Access(uuid4(), self.clock(), user, role, what, customer_id, interaction_id)
        # Every read of personal data writes one: a single autocommitted statement.
        self.db.execute(
            "INSERT INTO contacthub_access_log"
            " (id, at, user_name, role, what, customer_id, interaction_id)"
            " VALUES (%(id)s, %(at)s, %(user)s, %(role)s, %(what)s, %(customer)s,"
            " %(interaction)s)",
            {
                "id": str(access.id),
                "at": access.at.astimezone(UTC).isoformat(timespec="microseconds"),
                "user": user,
                "role": role,
                "what": what,
                "customer": str(customer_id) if customer_id else None,
                "interaction": str(interaction_id) if interaction_id else None,
            },
        )
        return access

    def find(
        self,
        *,
        customer_id: UUID | None = None,
        user: str | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[Access]:
        """Oldest first, filtered by whichever of customer, user and time are given."""
        where: list[str] = []
        params: dict[str, Any] = {"limit": limit}
        if customer_id is not None:
            where.append("customer_id = %(customer)s")
            params["customer"] = str(customer_id)
        if user is not None:
            where.append("user_name = %(user)s")
            params["user"] = user
        if since is not None:
            where.append("at >= %(since)s")
            params["since"] = since.astimezone(UTC).isoformat(timespec="microseconds")
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        rows = self.db.query(
            "SELECT id, at, user_name, role, what, customer_id, interaction_id"
            f" FROM contacthub_access_log{clause} ORDER BY at, id LIMIT %(limit)s",
            params,
        )
        return [_access(row) for row in rows]
