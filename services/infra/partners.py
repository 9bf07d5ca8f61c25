"""Partner organisations and their webhook subscriptions, in the event store's
database (like users and tokens: configuration, not a read model, so a replay
keeps them).

A partner has a name (what its tokens are bound to and what cases are shared
with) and its sites (appointments whose location is one of them are shared
with it). A subscription names a URL, the event types it wants and the secret
its deliveries are signed with; the secret is shown once, when it is made.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import orjson

from services.infra.auth import check_name
from services.infra.sql import SqlRunner

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class PartnerExists(ValueError):
    """An organisation of this name exists."""


class PartnerNotFound(LookupError):
    """No partner organisation has this name."""


@dataclass(frozen=True)
class Partner:
    name: str
    sites: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class Webhook:
    id: UUID
    partner: str
    url: str
    event_types: tuple[str, ...]
    secret: str
    created_at: datetime


def _partner(row: dict[str, Any]) -> Partner:
    return Partner(
        name=row["name"],
        sites=tuple(orjson.loads(row["sites"])),
        created_at=datetime.fromisoformat(row["created_at"]),
    )


def _webhook(row: dict[str, Any]) -> Webhook:
    return Webhook(
        id=UUID(row["id"]),
        partner=row["partner"],
        url=row["url"],
        event_types=tuple(orjson.loads(row["event_types"])),
        secret=row["secret"],
        created_at=datetime.fromisoformat(row["created_at"]),
    )


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class PartnerDirectory:
    def __init__(self, db: SqlRunner, clock: Clock = _utcnow) -> None:
        self.db = db
        self.clock = clock
        with db.transaction(commit=True) as cursor:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS contacthub_partners ("
                " name TEXT PRIMARY KEY, sites TEXT NOT NULL, created_at TEXT NOT NULL)"
            )
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS contacthub_partner_webhooks ("
                " id TEXT PRIMARY KEY, partner TEXT NOT NULL, url TEXT NOT NULL,"
                " event_types TEXT NOT NULL, secret TEXT NOT NULL, created_at TEXT NOT NULL)"
            )

    # Organisations ------------------------------------------------------------

    def create(self, name: str, sites: Sequence[str] = ()) -> Partner:
        check_name(name, "partner name")
        cleaned = tuple(dict.fromkeys(s for s in sites if s.strip()))
        with self.db.transaction(commit=True) as cursor:
            self.db.run(
                cursor,
                "INSERT INTO contacthub_partners (name, sites, created_at)"
                " VALUES (%(name)s, %(sites)s, %(at)s) ON CONFLICT (name) DO NOTHING"
                " RETURNING name",
                {
                    "name": name,
                    "sites": orjson.dumps(list(cleaned)).decode(),
                    "at": self.clock().isoformat(),
                },
            )
            if not cursor.fetchall():
                raise PartnerExists(f"partner {name} exists")
        found = self.get(name)
        assert found is not None
        return found

    def get(self, name: str) -> Partner | None:
        rows = self.db.query(
            "SELECT name, sites, created_at FROM contacthub_partners WHERE name = %(name)s",
            {"name": name},
        )
        return _partner(rows[0]) if rows else None

    def require(self, name: str) -> Partner:
        found = self.get(name)
        if found is None:
            raise PartnerNotFound(f"no partner {name}")
        return found

    def all(self) -> list[Partner]:
        rows = self.db.query(
            "SELECT name, sites, created_at FROM contacthub_partners ORDER BY name"
        )
        return [_partner(row) for row in rows]

    # Webhook subscriptions ------------------------------------------------------

    def subscribe(
        self, partner: str, url: str, event_types: Sequence[str], secret: str | None = None
    ) -> Webhook:
        """A new subscription; its secret is returned here and never shown again."""
        self.require(partner)
        webhook = Webhook(
            id=uuid4(),
            partner=partner,
            url=url,
            event_types=tuple(dict.fromkeys(event_types)),
            secret=secret or new_secret(),
            created_at=self.clock(),
        )
        with self.db.transaction(commit=True) as cursor:
            self.db.run(
                cursor,
                "INSERT INTO contacthub_partner_webhooks"
                " (id, partner, url, event_types, secret, created_at)"
                " VALUES (%(id)s, %(partner)s, %(url)s, %(types)s, %(secret)s, %(at)s)",
                {
                    "id": str(webhook.id),
                    "partner": partner,
                    "url": url,
                    "types": orjson.dumps(list(webhook.event_types)).decode(),
                    "secret": webhook.secret,
                    "at": webhook.created_at.isoformat(),
                },
            )
        return webhook

    def webhooks(self, partner: str | None = None) -> list[Webhook]:
        """Every subscription (of one partner), oldest first."""
        where = " WHERE partner = %(partner)s" if partner is not None else ""
        rows = self.db.query(
            "SELECT id, partner, url, event_types, secret, created_at"
            f" FROM contacthub_partner_webhooks{where} ORDER BY created_at, id",
            {"partner": partner},
        )
        return [_webhook(row) for row in rows]
