"""The partner webhook outbox: one row per (subscription, event) to deliver,
the follower's position in the notification log, and the dead letters.

The follower writes a batch's rows together with its new position in ONE
transaction, so a restart neither skips an event nor queues one twice (a
row's id is derived from the subscription and the event). A row carries no
event content, only where the event is in the store: the body is read at
delivery time, so the outbox never holds personal data in the clear and an
erased customer's events go out erased.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID, uuid5

from services.infra.sql import SqlRunner

Status = Literal["pending", "delivered", "dead"]


class DeadLetterNotFound(LookupError):
    """The partner has no dead letter of this id."""


def delivery_id(webhook_id: UUID, event_id: UUID) -> UUID:
    """Stable across retries, restarts and replays: receivers deduplicate by it."""
    return uuid5(webhook_id, f"delivery/{event_id}")


def _text(when: datetime) -> str:
    # UTC with microseconds, so that times sort as text (as in the access log).
    return when.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Delivery:
    id: UUID
    webhook_id: UUID
    partner: str
    notification_id: int
    event_id: UUID
    event_type: str
    originator_id: UUID
    originator_version: int
    status: Status
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


def _delivery(row: dict[str, Any]) -> Delivery:
    return Delivery(
        id=UUID(row["id"]),
        webhook_id=UUID(row["webhook_id"]),
        partner=row["partner"],
        notification_id=int(row["notification_id"]),
        event_id=UUID(row["event_id"]),
        event_type=row["event_type"],
        originator_id=UUID(row["originator_id"]),
        originator_version=int(row["originator_version"]),
        status=row["status"],
        attempts=int(row["attempts"]),
        next_attempt_at=datetime.fromisoformat(row["next_attempt_at"]),
        last_error=row["last_error"],
        created_at=datetime.fromisoformat(row["created_at"]),
        delivered_at=datetime.fromisoformat(row["delivered_at"]) if row["delivered_at"] else None,
    )


@dataclass(frozen=True)
class Queued:
    """A delivery to add to the outbox."""

    webhook_id: UUID
    partner: str
    notification_id: int
    event_id: UUID
    event_type: str
    originator_id: UUID
    originator_version: int


_COLUMNS = (
    "id, webhook_id, partner, notification_id, event_id, event_type, originator_id,"
    " originator_version, status, attempts, next_attempt_at, last_error, created_at,"
    " delivered_at"
)


class DeliveryOutbox:
    def __init__(self, db: SqlRunner) -> None:
        self.db = db
        with db.transaction(commit=True) as cursor:
            cursor.execute(
                db.sql(
                    "CREATE TABLE IF NOT EXISTS contacthub_partner_deliveries ("
                    " id TEXT PRIMARY KEY, webhook_id TEXT NOT NULL, partner TEXT NOT NULL,"
                    " notification_id BIGINT NOT NULL, event_id TEXT NOT NULL,"
                    " event_type TEXT NOT NULL, originator_id TEXT NOT NULL,"
                    " originator_version BIGINT NOT NULL, status TEXT NOT NULL,"
                    " attempts BIGINT NOT NULL, next_attempt_at TEXT NOT NULL,"
                    " last_error TEXT, created_at TEXT NOT NULL, delivered_at TEXT)"
                )
            )
            cursor.execute(
                "CREATE INDEX IF NOT EXISTS contacthub_partner_deliveries_queue"
                " ON contacthub_partner_deliveries (webhook_id, status, notification_id)"
            )
            cursor.execute(
                db.sql(
                    "CREATE TABLE IF NOT EXISTS contacthub_partner_webhook_position ("
                    " name TEXT PRIMARY KEY, position BIGINT NOT NULL)"
                )
            )

    def position(self, name: str) -> int:
        rows = self.db.query(
            "SELECT position FROM contacthub_partner_webhook_position WHERE name = %(name)s",
            {"name": name},
        )
        return int(rows[0]["position"]) if rows else 0

    def enqueue(self, name: str, position: int, queued: Sequence[Queued], now: datetime) -> None:
        """Adds the deliveries and moves the position, in one transaction."""
        rows = [
            {
                "id": str(delivery_id(q.webhook_id, q.event_id)),
                "webhook": str(q.webhook_id),
                "partner": q.partner,
                "notification": q.notification_id,
                "event": str(q.event_id),
                "type": q.event_type,
                "originator": str(q.originator_id),
                "version": q.originator_version,
                "at": _text(now),
            }
            for q in queued
        ]
        with self.db.transaction(commit=True) as cursor:
            self.db.run_many(
                cursor,
                "INSERT INTO contacthub_partner_deliveries"
                " (id, webhook_id, partner, notification_id, event_id, event_type,"
                " originator_id, originator_version, status, attempts, next_attempt_at,"
                " created_at)"
                " VALUES (%(id)s, %(webhook)s, %(partner)s, %(notification)s, %(event)s,"
                " %(type)s, %(originator)s, %(version)s, 'pending', 0, %(at)s, %(at)s)"
                " ON CONFLICT (id) DO NOTHING",
                rows,
            )
            self.db.run(
                cursor,
                "INSERT INTO contacthub_partner_webhook_position (name, position)"
                " VALUES (%(name)s, %(position)s) ON CONFLICT (name) DO UPDATE"
                " SET position = excluded.position",
                {"name": name, "position": position},
            )

    def heads(self) -> list[Delivery]:
        """Each subscription's oldest pending delivery: the only one it may get next,
        so that a partner receives its events in the store's order."""
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM contacthub_partner_deliveries d"
            " WHERE status = 'pending' AND notification_id = ("
            "  SELECT MIN(notification_id) FROM contacthub_partner_deliveries p"
            "  WHERE p.webhook_id = d.webhook_id AND p.status = 'pending')"
            " ORDER BY notification_id, webhook_id"
        )
        return [_delivery(row) for row in rows]

    def delivered(self, delivery: Delivery, at: datetime) -> None:
        with self.db.transaction(commit=True) as cursor:
            self.db.run(
                cursor,
                "UPDATE contacthub_partner_deliveries SET status = 'delivered',"
                " attempts = %(attempts)s, delivered_at = %(at)s, last_error = NULL"
                " WHERE id = %(id)s",
                {"id": str(delivery.id), "attempts": delivery.attempts + 1, "at": _text(at)},
            )

    def failed(self, delivery: Delivery, error: str, *, retry_at: datetime | None) -> None:
        """Counts a failed attempt; without `retry_at` the delivery is a dead letter."""
        with self.db.transaction(commit=True) as cursor:
            self.db.run(
                cursor,
                "UPDATE contacthub_partner_deliveries SET status = %(status)s,"
                " attempts = %(attempts)s, next_attempt_at = %(next)s, last_error = %(error)s"
                " WHERE id = %(id)s",
                {
                    "id": str(delivery.id),
                    "status": "pending" if retry_at is not None else "dead",
                    "attempts": delivery.attempts + 1,
                    "next": _text(retry_at)
                    if retry_at is not None
                    else _text(delivery.next_attempt_at),
                    "error": error[:500],
                },
            )

    def of_partner(self, partner: str, status: Status, limit: int = 1000) -> list[Delivery]:
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM contacthub_partner_deliveries"
            " WHERE partner = %(partner)s AND status = %(status)s"
            " ORDER BY notification_id, webhook_id LIMIT %(limit)s",
            {"partner": partner, "status": status, "limit": limit},
        )
        return [_delivery(row) for row in rows]

    def get(self, delivery: UUID) -> Delivery | None:
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM contacthub_partner_deliveries WHERE id = %(id)s",
            {"id": str(delivery)},
        )
        return _delivery(rows[0]) if rows else None

    def replay(self, partner: str, delivery: UUID, now: datetime) -> Delivery:
        """A dead letter of the partner goes back into its queue with fresh attempts
        (DeadLetterNotFound if the partner has no such dead letter)."""
        with self.db.transaction(commit=True) as cursor:
            self.db.run(
                cursor,
                "UPDATE contacthub_partner_deliveries SET status = 'pending', attempts = 0,"
                " next_attempt_at = %(at)s WHERE id = %(id)s AND partner = %(partner)s"
                " AND status = 'dead' RETURNING id",
                {"id": str(delivery), "partner": partner, "at": _text(now)},
            )
            if not cursor.fetchall():
                raise DeadLetterNotFound(f"partner {partner} has no dead letter {delivery}")
        found = self.get(delivery)
        assert found is not None  # rows are never deleted
        return found
