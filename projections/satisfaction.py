"""The satisfaction read model: which resolved cases still owe a survey, every
survey with its grouping facts and answer, and SMS replies that answer an open
survey (for the survey worker to record as `SurveyAnswered`).

A reply is found here, in log order, from the survey's `SurveySent` and the
customer's `SmsReceived`, so a rebuild finds the same replies as the live run;
the worker's `SurveyAnswered` then clears it. The rows hold ids, scores and
times only, no personal data (a reply's comment stays in the event store).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from domain.satisfaction import Answer, parse_reply
from events import (
    ComplaintReopened,
    ComplaintResolved,
    Event,
    SmsReceived,
    SurveyAnswered,
    SurveySent,
    SurveySkipped,
    survey_id_for_case,
)
from projections.opportunities import iso
from projections.sql import Cursor, Sql
from projections.view import SqlView


class SatisfactionView(SqlView):
    name = "satisfaction"
    tables: ClassVar[dict[str, str]] = {
        "sat_due": "complaint_id",
        "sat_surveys": "survey_id",
    }
    create_statements = (
        "CREATE TABLE IF NOT EXISTS sat_due ("
        " complaint_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, resolved_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS sat_surveys ("
        " survey_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, complaint_id TEXT,"
        " campaign_id TEXT, kind TEXT NOT NULL, channel TEXT, status TEXT NOT NULL,"
        " queue TEXT, agent TEXT, product TEXT, sent_at TEXT NOT NULL, expires_at TEXT,"
        " interaction_id TEXT, reason TEXT, score BIGINT, answered_at TEXT,"
        " reply_score BIGINT, reply_interaction_id TEXT, reply_at TEXT)",
        "CREATE INDEX IF NOT EXISTS sat_due_resolved ON sat_due (resolved_at)",
        "CREATE INDEX IF NOT EXISTS sat_surveys_customer ON sat_surveys (customer_id, sent_at)",
        "CREATE INDEX IF NOT EXISTS sat_surveys_answered ON sat_surveys (status, answered_at)",
    )

    def apply(self, cursor: Cursor, events: Sequence[Event]) -> None:
        surveyed = self._surveyed_among(cursor, events)
        for event in events:
            if isinstance(event, ComplaintResolved):
                self._resolved(cursor, event)
            elif isinstance(event, ComplaintReopened):
                # Not resolved any more: the survey waits for the next resolution.
                self.db.run(
                    cursor,
                    "DELETE FROM sat_due WHERE complaint_id = %(id)s",
                    {"id": str(event.originator_id)},
                )
            elif isinstance(event, SurveySent | SurveySkipped):
                self._surveyed(cursor, event)
                surveyed.add(str(event.customer_id))
            elif isinstance(event, SmsReceived) and str(event.customer_id) in surveyed:
                self._reply(cursor, event)
            elif isinstance(event, SurveyAnswered):
                self.db.run(
                    cursor,
                    "UPDATE sat_surveys SET status = 'answered', score = %(score)s,"
                    " answered_at = %(at)s, reply_score = NULL, reply_interaction_id = NULL,"
                    " reply_at = NULL WHERE survey_id = %(id)s",
                    {
                        "id": str(event.originator_id),
                        "score": event.score,
                        "at": iso(event.occurred_at),
                    },
                )

    def _surveyed_among(self, cursor: Cursor, events: Sequence[Event]) -> set[str]:
        """The senders of the batch's messages who have a survey waiting for a
        reply, in one query: a message from anyone else answers nothing, and
        most messages are from customers without one."""
        senders = sorted(
            {str(e.customer_id) for e in events if isinstance(e, SmsReceived) and e.customer_id}
        )
        if not senders:
            return set()
        self.db.run(
            cursor,
            "SELECT DISTINCT customer_id FROM sat_surveys WHERE customer_id = ANY(%(ids)s)"
            " AND status = 'sent' AND reply_score IS NULL",
            {"ids": senders},
        )
        return {row["customer_id"] for row in cursor.fetchall()}

    def _resolved(self, cursor: Cursor, event: ComplaintResolved) -> None:
        survey = str(survey_id_for_case(event.originator_id))
        self.db.run(cursor, "SELECT 1 FROM sat_surveys WHERE survey_id = %(id)s", {"id": survey})
        if cursor.fetchone() is not None:
            return  # one survey per case: it went out after an earlier resolution
        self.db.run(
            cursor,
            "INSERT INTO sat_due (complaint_id, customer_id, resolved_at)"
            " VALUES (%(id)s, %(customer)s, %(at)s)"
            " ON CONFLICT (complaint_id) DO UPDATE SET resolved_at = excluded.resolved_at",
            {
                "id": str(event.originator_id),
                "customer": str(event.customer_id),
                "at": iso(event.occurred_at),
            },
        )

    def _surveyed(self, cursor: Cursor, event: SurveySent | SurveySkipped) -> None:
        sent = isinstance(event, SurveySent)
        if event.case_id is not None:
            self.db.run(
                cursor,
                "DELETE FROM sat_due WHERE complaint_id = %(id)s",
                {"id": str(event.case_id)},
            )
        self.db.run(
            cursor,
            "INSERT INTO sat_surveys (survey_id, customer_id, complaint_id, campaign_id, kind,"
            " channel, status, queue, agent, product, sent_at, expires_at, interaction_id,"
            " reason) VALUES (%(id)s, %(customer)s, %(case)s, %(campaign)s, %(kind)s,"
            " %(channel)s, %(status)s, %(queue)s, %(agent)s, %(product)s, %(at)s, %(expires)s,"
            " %(interaction)s, %(reason)s) ON CONFLICT (survey_id) DO NOTHING",
            {
                "id": str(event.originator_id),
                "customer": str(event.customer_id),
                "case": str(event.case_id) if event.case_id else None,
                "campaign": event.campaign_id if isinstance(event, SurveySent) else None,
                "kind": event.kind,
                "channel": event.channel,
                "status": "sent" if sent else "skipped",
                "queue": event.queue if isinstance(event, SurveySent) else None,
                "agent": event.agent if isinstance(event, SurveySent) else None,
                "product": event.product if isinstance(event, SurveySent) else None,
                "at": iso(event.occurred_at),
                "expires": iso(event.expires_at) if isinstance(event, SurveySent) else None,
                "interaction": (
                    str(event.interaction_id) if isinstance(event, SurveySent) else None
                ),
                "reason": event.reason if isinstance(event, SurveySkipped) else None,
            },
        )

    def _reply(self, cursor: Cursor, message: SmsReceived) -> None:
        """The customer's latest open SMS survey takes the reply if it is a score."""
        at = iso(message.occurred_at)
        self.db.run(
            cursor,
            "SELECT survey_id, kind FROM sat_surveys WHERE customer_id = %(customer)s"
            " AND channel = %(channel)s AND status = 'sent' AND reply_score IS NULL"
            " AND sent_at <= %(at)s AND expires_at >= %(at)s"
            " ORDER BY sent_at DESC, survey_id LIMIT 1",
            {"customer": str(message.customer_id), "channel": message.channel, "at": at},
        )
        row = cursor.fetchone()
        if row is None:
            return
        survey = dict(row)
        reply = parse_reply(message.body, survey["kind"])
        if reply is None:
            return  # not a score: an ordinary message
        self.db.run(
            cursor,
            "UPDATE sat_surveys SET reply_score = %(score)s, reply_interaction_id = %(msg)s,"
            " reply_at = %(at)s WHERE survey_id = %(id)s",
            {
                "id": survey["survey_id"],
                "score": reply.score,
                "msg": str(message.originator_id),
                "at": at,
            },
        )

    # Queries -------------------------------------------------------------

    def due_cases(self, resolved_before: datetime, limit: int = 200) -> list[UUID]:
        rows = self.db.query(
            "SELECT complaint_id FROM sat_due WHERE resolved_at <= %(at)s"
            " ORDER BY resolved_at, complaint_id LIMIT %(limit)s",
            {"at": iso(resolved_before), "limit": limit},
        )
        return [UUID(r["complaint_id"]) for r in rows]

    def replies(self, limit: int = 200) -> list[tuple[UUID, UUID]]:
        """(survey, reply interaction) for SMS replies not yet recorded as answers."""
        rows = self.db.query(
            "SELECT survey_id, reply_interaction_id FROM sat_surveys"
            " WHERE reply_interaction_id IS NOT NULL AND status = 'sent'"
            " ORDER BY reply_at, survey_id LIMIT %(limit)s",
            {"limit": limit},
        )
        return [(UUID(r["survey_id"]), UUID(r["reply_interaction_id"])) for r in rows]

    def survey(self, survey_id: UUID) -> dict[str, Any] | None:
        rows = self.db.query(
            "SELECT * FROM sat_surveys WHERE survey_id = %(id)s", {"id": str(survey_id)}
        )
        return rows[0] if rows else None

    def surveys_of(self, customer_id: UUID) -> list[dict[str, Any]]:
        return self.db.query(
            "SELECT * FROM sat_surveys WHERE customer_id = %(id)s ORDER BY sent_at, survey_id",
            {"id": str(customer_id)},
        )

    def answers(self) -> list[Answer]:
        rows = self.db.query(
            "SELECT kind, score, answered_at, channel, queue, agent, product FROM sat_surveys"
            " WHERE status = 'answered' ORDER BY answered_at, survey_id"
        )
        return [
            Answer(
                kind=r["kind"],
                score=int(r["score"]),
                answered_at=datetime.fromisoformat(r["answered_at"]),
                channel=r["channel"] or "-",
                queue=r["queue"],
                agent=r["agent"],
                product=r["product"],
            )
            for r in rows
        ]


class SatisfactionViewSQLite(SatisfactionView, SQLiteTrackingRecorder):
    def __init__(self, datastore: SQLiteDatastore, *, db: Sql, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.db = db


class SatisfactionViewPostgres(SatisfactionView, PostgresTrackingRecorder):
    def __init__(self, datastore: PostgresDatastore, *, db: Sql, **kwargs: Any) -> None:
        kwargs.setdefault("tracking_table_name", "view_tracking")
        super().__init__(datastore, **kwargs)
        self.db = db
