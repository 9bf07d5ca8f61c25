"""The appointments read model: one row per appointment with its current time,
status and when its reminder is due (what the calendar feed, the briefing and
the reminder follower read)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from events import (
    AppointmentCancelled,
    AppointmentReminderSent,
    AppointmentReminderSkipped,
    AppointmentRescheduled,
    AppointmentScheduled,
    Event,
)
from projections.opportunities import iso
from projections.sql import Cursor, Sql
from projections.view import SqlView

APPOINTMENT_EVENTS = (
    AppointmentScheduled,
    AppointmentRescheduled,
    AppointmentCancelled,
    AppointmentReminderSent,
    AppointmentReminderSkipped,
)


class Appointments(SqlView):
    name = "appointments"
    tables: ClassVar[dict[str, str]] = {"appointments": "appointment_id"}
    create_statements = (
        "CREATE TABLE IF NOT EXISTS appointments ("
        " appointment_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, agent TEXT NOT NULL,"
        " starts_at TEXT NOT NULL, ends_at TEXT NOT NULL, timezone TEXT NOT NULL,"
        " kind TEXT NOT NULL, location TEXT NOT NULL, status TEXT NOT NULL,"
        " sequence BIGINT NOT NULL, reminder_channel TEXT, reminder_lead_minutes BIGINT NOT NULL,"
        " reminder_at TEXT, reminder_status TEXT, reminder_note TEXT,"
        " scheduled_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS appointments_agent ON appointments (agent, starts_at)",
        "CREATE INDEX IF NOT EXISTS appointments_customer ON appointments (customer_id, starts_at)",
        "CREATE INDEX IF NOT EXISTS appointments_reminder ON appointments (reminder_at)",
    )

    def apply(self, cursor: Cursor, events: Sequence[Event]) -> None:
        for event in events:
            # Most of a replay is other events: skip them before formatting anything.
            if not isinstance(event, APPOINTMENT_EVENTS):
                continue
            key = {"id": str(event.originator_id), "at": iso(event.occurred_at)}
            if isinstance(event, AppointmentScheduled):
                lead = timedelta(minutes=event.reminder_lead_minutes)
                self.db.run(
                    cursor,
                    "INSERT INTO appointments (appointment_id, customer_id, agent, starts_at,"
                    " ends_at, timezone, kind, location, status, sequence, reminder_channel,"
                    " reminder_lead_minutes, reminder_at, scheduled_at, updated_at)"
                    " VALUES (%(id)s, %(customer)s, %(agent)s, %(starts)s, %(ends)s, %(tz)s,"
                    " %(kind)s, %(location)s, 'scheduled', 0, %(channel)s, %(lead)s,"
                    " %(remind)s, %(at)s, %(at)s) ON CONFLICT (appointment_id) DO NOTHING",
                    {
                        **key,
                        "customer": str(event.customer_id),
                        "agent": event.agent,
                        "starts": iso(event.starts_at),
                        "ends": iso(event.ends_at),
                        "tz": event.timezone,
                        "kind": event.kind,
                        "location": event.location,
                        "channel": event.reminder_channel,
                        "lead": event.reminder_lead_minutes,
                        "remind": _reminder_at(event.starts_at, lead, event.reminder_channel),
                    },
                )
            elif isinstance(event, AppointmentRescheduled):
                self._rescheduled(cursor, event, key)
            elif isinstance(event, AppointmentCancelled):
                self.db.run(
                    cursor,
                    "UPDATE appointments SET status = 'cancelled', reminder_at = NULL,"
                    " updated_at = %(at)s WHERE appointment_id = %(id)s",
                    key,
                )
            elif isinstance(event, AppointmentReminderSent | AppointmentReminderSkipped):
                sent = isinstance(event, AppointmentReminderSent)
                self.db.run(
                    cursor,
                    "UPDATE appointments SET reminder_at = NULL, reminder_status = %(status)s,"
                    " reminder_note = %(note)s, updated_at = %(at)s"
                    " WHERE appointment_id = %(id)s AND sequence = %(seq)s",
                    {
                        **key,
                        "seq": event.sequence,
                        "status": "sent" if sent else "skipped",
                        "note": str(event.interaction_id) if sent else event.reason,  # type: ignore[union-attr]
                    },
                )

    def forget(self, cursor: Cursor, customer_id: str) -> None:
        # The calendar keeps that a meeting was (agent, time, kind, status), not
        # where or why a reminder was skipped: the values a replay reads.
        self.db.run(
            cursor,
            "UPDATE appointments SET location = '[erased]', reminder_note = CASE"
            " WHEN reminder_status = 'skipped' THEN '[erased]' ELSE reminder_note END"
            " WHERE customer_id = %(id)s",
            {"id": customer_id},
        )

    def _rescheduled(
        self, cursor: Cursor, event: AppointmentRescheduled, key: dict[str, str]
    ) -> None:
        self.db.run(
            cursor, "SELECT * FROM appointments WHERE appointment_id = %(id)s", {"id": key["id"]}
        )
        row = cursor.fetchone()
        if row is None:
            return  # never saw it scheduled
        found = dict(row)
        lead = timedelta(minutes=int(found["reminder_lead_minutes"]))
        self.db.run(
            cursor,
            "UPDATE appointments SET starts_at = %(starts)s, ends_at = %(ends)s,"
            " sequence = %(seq)s, reminder_at = %(remind)s, reminder_status = NULL,"
            " reminder_note = NULL, updated_at = %(at)s WHERE appointment_id = %(id)s",
            {
                **key,
                "starts": iso(event.starts_at),
                "ends": iso(event.ends_at),
                "seq": event.sequence,
                "remind": _reminder_at(event.starts_at, lead, found["reminder_channel"]),
            },
        )

    # Queries -------------------------------------------------------------

    def get(self, appointment_id: UUID) -> dict[str, Any] | None:
        rows = self.db.query(
            "SELECT * FROM appointments WHERE appointment_id = %(id)s",
            {"id": str(appointment_id)},
        )
        return rows[0] if rows else None

    def listing(
        self,
        *,
        agent: str | None = None,
        customer_id: UUID | None = None,
        include_cancelled: bool = False,
        limit: int = 100,
        offset: int = 0,
        locations: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Soonest first; `locations` keeps those at one of them (a partner's sites)."""
        clauses: list[str] = [] if include_cancelled else ["status = 'scheduled'"]
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if agent is not None:
            clauses.append("agent = %(agent)s")
            params["agent"] = agent
        if customer_id is not None:
            clauses.append("customer_id = %(customer)s")
            params["customer"] = str(customer_id)
        if locations is not None:
            names = {f"site{i}": site for i, site in enumerate(locations)}
            # No site, no appointment: `IN ()` is no SQL.
            clauses.append(
                f"location IN ({', '.join(f'%({n})s' for n in names)})" if names else "1 = 0"
            )
            params.update(names)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return self.db.query(
            f"SELECT * FROM appointments {where}"
            " ORDER BY starts_at, appointment_id LIMIT %(limit)s OFFSET %(offset)s",
            params,
        )

    def of_agent(self, agent: str, limit: int = 2000) -> list[dict[str, Any]]:
        """The agent's scheduled appointments (cancelled ones leave the calendar)."""
        return self.db.query(
            "SELECT * FROM appointments WHERE agent = %(agent)s AND status = 'scheduled'"
            " ORDER BY starts_at, appointment_id LIMIT %(limit)s",
            {"agent": agent, "limit": limit},
        )

    def upcoming_of_customer(
        self, customer_id: UUID, now: datetime, limit: int = 20
    ) -> list[dict[str, Any]]:
        return self.db.query(
            "SELECT * FROM appointments WHERE customer_id = %(id)s AND status = 'scheduled'"
            " AND ends_at >= %(now)s ORDER BY starts_at, appointment_id LIMIT %(limit)s",
            {"id": str(customer_id), "now": iso(now), "limit": limit},
        )

    def due_reminders(self, now: datetime, limit: int = 200) -> list[UUID]:
        rows = self.db.query(
            "SELECT appointment_id FROM appointments WHERE reminder_at IS NOT NULL"
            " AND reminder_at <= %(now)s ORDER BY reminder_at LIMIT %(limit)s",
            {"now": iso(now), "limit": limit},
        )
        return [UUID(r["appointment_id"]) for r in rows]


def _reminder_at(starts_at: datetime, lead: timedelta, channel: str | None) -> str | None:
    return iso(starts_at - lead) if channel else None


class AppointmentsSQLite(Appointments, SQLiteTrackingRecorder):
    def __init__(self, datastore: SQLiteDatastore, *, db: Sql, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.db = db


class AppointmentsPostgres(Appointments, PostgresTrackingRecorder):
    def __init__(self, datastore: PostgresDatastore, *, db: Sql, **kwargs: Any) -> None:
        kwargs.setdefault("tracking_table_name", "view_tracking")
        super().__init__(datastore, **kwargs)
        self.db = db
