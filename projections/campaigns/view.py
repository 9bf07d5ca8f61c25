"""The campaigns read model: each campaign, each member's send and how it was
delivered, and what recipients did within the attribution window (replies,
opt-outs, orders), one of each kind per customer and campaign.

Attribution is decided here, as the log is followed, by `domain.campaigns`
(last touch within the window): a rebuild applies the same events in the same
order, so the report after `contacthub replay` equals the live one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from domain import campaigns as domain
from domain.campaigns import Touch
from events import (
    CampaignCreated,
    CampaignFinished,
    CampaignSendRecorded,
    CampaignStarted,
    EmailDeliveryChanged,
    Event,
    LetterStatusChanged,
    SmsStatusChanged,
)
from projections.sql import Cursor, Sql
from projections.view import SqlView

# Customers per lookup of their touches (well below SQLite's parameter limit).
CHUNK = 500
STATUS_EVENTS = (SmsStatusChanged, EmailDeliveryChanged, LetterStatusChanged)


def iso(moment: datetime) -> str:
    """UTC with microseconds: stored times sort and compare as text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class Campaigns(SqlView):
    name = "campaigns"
    tables: ClassVar[dict[str, str]] = {
        "campaigns": "campaign_id",
        "campaign_sends": "campaign_id, customer_id",
        "campaign_attributions": "campaign_id, customer_id, kind",
    }
    create_statements = (
        "CREATE TABLE IF NOT EXISTS campaigns ("
        " campaign_id TEXT PRIMARY KEY, name TEXT NOT NULL, segment_id TEXT NOT NULL,"
        " channel TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL,"
        " window_days BIGINT NOT NULL, throttle_per_minute BIGINT NOT NULL,"
        " status TEXT NOT NULL, members BIGINT NOT NULL, created_by TEXT NOT NULL,"
        " created_at TEXT NOT NULL, started_by TEXT, started_at TEXT, finished_at TEXT)",
        "CREATE TABLE IF NOT EXISTS campaign_sends ("
        " campaign_id TEXT NOT NULL, customer_id TEXT NOT NULL, outcome TEXT NOT NULL,"
        " reason TEXT NOT NULL, interaction_id TEXT, sent_at TEXT NOT NULL,"
        " delivery TEXT NOT NULL, PRIMARY KEY (campaign_id, customer_id))",
        "CREATE INDEX IF NOT EXISTS campaign_sends_customer ON campaign_sends (customer_id)",
        "CREATE INDEX IF NOT EXISTS campaign_sends_interaction ON campaign_sends (interaction_id)",
        "CREATE TABLE IF NOT EXISTS campaign_attributions ("
        " campaign_id TEXT NOT NULL, customer_id TEXT NOT NULL, kind TEXT NOT NULL,"
        " event_id TEXT NOT NULL, at TEXT NOT NULL,"
        " PRIMARY KEY (campaign_id, customer_id, kind))",
    )

    # Whether any send exists: until one does, attribution needs no lookup at all
    # (the hot ingest path pays nothing for campaigns that were never sent).
    _any_sends: bool | None = None

    def drop(self, *, defer_indexes: bool = False) -> None:
        self._any_sends = None
        super().drop(defer_indexes=defer_indexes)

    def apply(self, cursor: Cursor, events: Sequence[Event]) -> None:
        touches = self._touches(cursor, events)
        for event in events:
            if isinstance(event, CampaignCreated):
                self._created(cursor, event)
            elif isinstance(event, CampaignStarted):
                self.db.run(
                    cursor,
                    "UPDATE campaigns SET status = 'running', members = %(members)s,"
                    " started_by = %(by)s, started_at = %(at)s WHERE campaign_id = %(id)s",
                    {
                        "id": str(event.originator_id),
                        "members": len(event.members),
                        "by": event.started_by,
                        "at": iso(event.occurred_at),
                    },
                )
            elif isinstance(event, CampaignFinished):
                self.db.run(
                    cursor,
                    "UPDATE campaigns SET status = 'finished', finished_at = %(at)s"
                    " WHERE campaign_id = %(id)s",
                    {"id": str(event.originator_id), "at": iso(event.occurred_at)},
                )
            elif isinstance(event, CampaignSendRecorded):
                self._sent(cursor, event, touches)
            elif isinstance(event, STATUS_EVENTS):
                if self._any_sends:
                    self._delivery(cursor, event)
            else:
                kind = domain.attribution_kind(event)
                if kind is not None and touches:
                    self._attribute(cursor, event, kind, touches)

    def _created(self, cursor: Cursor, event: CampaignCreated) -> None:
        self.db.run(
            cursor,
            "INSERT INTO campaigns (campaign_id, name, segment_id, channel, kind, subject, body,"
            " window_days, throttle_per_minute, status, members, created_by, created_at)"
            " VALUES (%(id)s, %(name)s, %(segment)s, %(channel)s, %(kind)s, %(subject)s,"
            " %(body)s, %(window)s, %(throttle)s, 'draft', 0, %(by)s, %(at)s)"
            " ON CONFLICT (campaign_id) DO NOTHING",
            {
                "id": str(event.originator_id),
                "name": event.name,
                "segment": str(event.segment_id),
                "channel": event.channel,
                "kind": event.kind,
                "subject": event.subject,
                "body": event.body,
                "window": event.attribution_window_days,
                "throttle": event.throttle_per_minute,
                "by": event.created_by,
                "at": iso(event.occurred_at),
            },
        )

    def _sent(
        self, cursor: Cursor, event: CampaignSendRecorded, touches: dict[str, list[Touch]]
    ) -> None:
        self._any_sends = True
        customer = str(event.customer_id)
        self.db.run(
            cursor,
            "INSERT INTO campaign_sends (campaign_id, customer_id, outcome, reason,"
            " interaction_id, sent_at, delivery) VALUES (%(campaign)s, %(customer)s,"
            " %(outcome)s, %(reason)s, %(interaction)s, %(at)s, %(delivery)s)"
            " ON CONFLICT (campaign_id, customer_id) DO NOTHING",
            {
                "campaign": str(event.campaign_id),
                "customer": customer,
                "outcome": event.outcome,
                "reason": event.reason,
                "interaction": str(event.interaction_id) if event.interaction_id else None,
                "at": iso(event.occurred_at),
                "delivery": domain.delivery_of(event.status),
            },
        )
        # Later events of this batch see the new touch as the next batch would.
        self.db.run(
            cursor,
            "SELECT window_days FROM campaigns WHERE campaign_id = %(id)s",
            {"id": str(event.campaign_id)},
        )
        row = cursor.fetchone()
        window = timedelta(days=int(dict(row)["window_days"])) if row else timedelta(0)
        touch = domain.touch_of(event, window)
        if touch is not None:
            touches.setdefault(customer, []).append(touch)

    def _delivery(self, cursor: Cursor, event: Event) -> None:
        delivery = domain.delivery_of(str(getattr(event, "status", "")))
        if delivery:
            # Delivered is final; an undelivered report does not undo a delivery.
            self.db.run(
                cursor,
                "UPDATE campaign_sends SET delivery = %(delivery)s"
                " WHERE interaction_id = %(id)s AND delivery <> 'delivered'",
                {"id": str(event.originator_id), "delivery": delivery},
            )

    def _attribute(
        self,
        cursor: Cursor,
        event: Event,
        kind: domain.AttributionKind,
        touches: dict[str, list[Touch]],
    ) -> None:
        customer = str(event.customer_id)
        campaign = domain.attribute(touches.get(customer, ()), event.occurred_at)
        if campaign is None:
            return
        self.db.run(
            cursor,
            "INSERT INTO campaign_attributions (campaign_id, customer_id, kind, event_id, at)"
            " VALUES (%(campaign)s, %(customer)s, %(kind)s, %(event)s, %(at)s)"
            " ON CONFLICT (campaign_id, customer_id, kind) DO NOTHING",
            {
                "campaign": campaign,
                "customer": customer,
                "kind": kind,
                "event": str(event.event_id),
                "at": iso(event.occurred_at),
            },
        )

    def _touches(self, cursor: Cursor, events: Sequence[Event]) -> dict[str, list[Touch]]:
        """The campaign sends that reached the customers this batch may attribute."""
        if self._any_sends is None:
            cursor.execute("SELECT 1 FROM campaign_sends LIMIT 1")
            self._any_sends = cursor.fetchone() is not None
        if not self._any_sends:
            return {}
        customers = sorted(
            {str(e.customer_id) for e in events if domain.attribution_kind(e) is not None}
        )
        found: dict[str, list[Touch]] = {}
        for start in range(0, len(customers), CHUNK):
            chunk = customers[start : start + CHUNK]
            names = ", ".join(f"%(c{n})s" for n in range(len(chunk)))
            self.db.run(
                cursor,
                "SELECT s.customer_id, s.campaign_id, s.sent_at, c.window_days"
                " FROM campaign_sends s JOIN campaigns c ON c.campaign_id = s.campaign_id"
                f" WHERE s.outcome = 'sent' AND s.customer_id IN ({names})",
                {f"c{n}": c for n, c in enumerate(chunk)},
            )
            for raw in cursor.fetchall():
                row = dict(raw)
                found.setdefault(row["customer_id"], []).append(
                    Touch(
                        row["campaign_id"],
                        datetime.fromisoformat(row["sent_at"]),
                        timedelta(days=int(row["window_days"])),
                    )
                )
        return found

    # Queries -------------------------------------------------------------------

    def listing(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        return self.db.query(
            "SELECT * FROM campaigns ORDER BY created_at DESC, campaign_id"
            " LIMIT %(limit)s OFFSET %(offset)s",
            {"limit": limit, "offset": offset},
        )

    def get(self, campaign_id: UUID) -> dict[str, Any] | None:
        rows = self.db.query(
            "SELECT * FROM campaigns WHERE campaign_id = %(id)s", {"id": str(campaign_id)}
        )
        return rows[0] if rows else None

    def running(self) -> list[UUID]:
        rows = self.db.query(
            "SELECT campaign_id FROM campaigns WHERE status = 'running' ORDER BY started_at"
        )
        return [UUID(r["campaign_id"]) for r in rows]

    def sends(self, campaign_id: UUID) -> list[dict[str, Any]]:
        return self.db.query(
            "SELECT * FROM campaign_sends WHERE campaign_id = %(id)s ORDER BY customer_id",
            {"id": str(campaign_id)},
        )

    def attributions(self, campaign_id: UUID) -> list[dict[str, Any]]:
        return self.db.query(
            "SELECT * FROM campaign_attributions WHERE campaign_id = %(id)s"
            " ORDER BY kind, customer_id",
            {"id": str(campaign_id)},
        )


class CampaignsSQLite(Campaigns, SQLiteTrackingRecorder):
    def __init__(self, datastore: SQLiteDatastore, *, db: Sql, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.db = db


class CampaignsPostgres(Campaigns, PostgresTrackingRecorder):
    def __init__(self, datastore: PostgresDatastore, *, db: Sql, **kwargs: Any) -> None:
        kwargs.setdefault("tracking_table_name", "view_tracking")
        super().__init__(datastore, **kwargs)
        self.db = db
