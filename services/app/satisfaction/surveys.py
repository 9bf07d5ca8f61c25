"""Satisfaction surveys: a follower that sends each resolved case its CSAT
survey through the outbound pipeline, as the hub (consent and quiet hours are
checked there), on the channel the customer used; records SMS replies that
answer an open survey; and takes the answers of the signed email links.

Exactly one survey per case: the survey's stream id derives from the case
(`survey_id_for_case`) and `SurveySent` is its version 1, so a second send
decision loses at the store; the send's idempotency key names the survey, so a
crash between the send and its record sends nothing twice (the next round finds
the interaction in the pipeline and only records it). A refusal for quiet hours
is left due and tried again in a later round; any other refusal (opted out, no
address) is recorded as `SurveySkipped` and not retried.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4

import anyio

from domain import satisfaction as domain
from domain.complaints import ComplaintState
from events import (
    ComplaintResolved,
    Event,
    SurveyChannel,
    SurveyKind,
    SurveySent,
    SurveySkipped,
    nps_survey_id,
    survey_id_for_case,
)
from projections.satisfaction import SatisfactionView
from services.app.errors import CommandRefused, CustomerNotFound
from services.app.intake.recorder import Recorder
from services.app.operative.streams import decide_and_append
from services.app.outbound.email import EmailDraft, EmailMessaging
from services.app.outbound.messages import Messaging
from services.app.outbound.pipeline import SendOutcome
from services.app.satisfaction.answers import SurveyAnswers
from services.infra.eventstore import EventStore
from services.infra.follower import FollowedService, Follower, each_until_stopped

log = logging.getLogger(__name__)

HUB_AGENT = "hub"
# Channels a case can be surveyed on, by the channel the customer used.
SURVEY_CHANNEL: dict[str, SurveyChannel] = {"sms": "sms", "email": "email"}


@dataclass(frozen=True)
class SurveyOutcome:
    survey_id: UUID
    status: str  # sent, skipped, or already (it went out before)
    interaction_id: UUID | None = None
    reason: str = ""
    notification_id: int = 0  # of the survey's first event (0: nothing new)


@dataclass(frozen=True)
class Target:
    survey_id: UUID
    customer_id: UUID
    kind: SurveyKind
    channel: str | None
    case: ComplaintState | None = None
    agent: str | None = None
    campaign_id: str | None = None


class SatisfactionSurveys(FollowedService):
    def __init__(
        self,
        store: EventStore,
        recorder: Recorder,
        view: SatisfactionView,
        answers: SurveyAnswers,
        case: Callable[[UUID], ComplaintState | None],
        messaging: Callable[[], Messaging],
        email: Callable[[], EmailMessaging],
        *,
        link_secret: bytes,
        public_url: str,
        clock: Callable[[], datetime],
        interval: float,
        delay: timedelta,
        window: timedelta,
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.view = view
        self.answers = answers
        self.case = case
        # Built on first use: a hub that never surveys by email needs no relay.
        self.messaging = messaging
        self.email = email
        self.link_secret = link_secret
        self.public_url = public_url
        self.clock = clock
        self.delay = delay
        self.window = window
        self._follower = Follower("satisfaction-surveys", self._round, poll_interval=interval)

    def _round(self, stop: threading.Event) -> None:
        if each_until_stopped(
            self.view.due_cases(self.clock() - self.delay), self.survey_case, stop
        ):
            each_until_stopped(self.view.replies(), lambda r: self.answers.record_reply(*r), stop)

    def run_due(self) -> int:
        """One round now (for tests and the CLI); returns how many were handled."""
        handled = 0
        for case_id in self.view.due_cases(self.clock() - self.delay):
            outcome = self.survey_case(case_id)
            # A survey the view has not seen yet is reported as `already`: not handled now.
            handled += outcome is not None and outcome.status != "already"
        for survey_id, reply in self.view.replies():
            handled += self.answers.record_reply(survey_id, reply)
        return handled

    # Sending ---------------------------------------------------------------

    def survey_case(self, case_id: UUID) -> SurveyOutcome | None:
        """Sends (or skips) the resolved case's CSAT survey; None if none is owed now."""
        state = self.case(case_id)
        if state is None or state.status not in ("resolved", "closed"):
            return None
        history = self.store.stream(case_id)
        resolved = [e for e in history if isinstance(e, ComplaintResolved)]
        return self._survey(
            Target(
                survey_id=survey_id_for_case(case_id),
                customer_id=state.customer_id,
                kind="csat",
                channel=state.channel,
                case=state,
                agent=state.assignee or (resolved[-1].by if resolved else None),
            )
        )

    def send_nps_survey(
        self,
        customer_id: UUID,
        channel: SurveyChannel,
        campaign_id: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> SurveyOutcome:
        """An NPS survey to one customer (what a campaign calls per recipient): once
        per campaign (or idempotency key) and customer; without either, a new one.
        CommandRefused (opted out, quiet hours, the channel not configured) and
        CustomerNotFound propagate, and nothing is recorded."""
        key = f"campaign/{campaign_id}" if campaign_id else idempotency_key
        survey_id = nps_survey_id(customer_id, key) if key else uuid4()
        if not self.store.exists(customer_id):
            raise CustomerNotFound(f"no customer {customer_id}")
        outcome = self._survey(
            Target(survey_id, customer_id, "nps", channel, campaign_id=campaign_id)
        )
        assert outcome is not None
        return outcome

    def _survey(self, target: Target) -> SurveyOutcome | None:
        existing = self.store.stream(target.survey_id)
        if existing:
            first = existing[0]
            return SurveyOutcome(
                target.survey_id,
                "already",
                getattr(first, "interaction_id", None),
                getattr(first, "reason", ""),
            )
        channel = SURVEY_CHANNEL.get(target.channel or "")
        if channel is None:
            return self._skipped(target, f"no surveys over {target.channel or 'this channel'}")
        now = self.clock()
        expires = now + self.window
        key = f"survey/{target.survey_id}"
        try:
            outcome = anyio.run(self._send, target, channel, key, expires)
        except (CommandRefused, CustomerNotFound) as refused:
            if target.case is None:
                raise  # an NPS survey asked for now: the caller hears why (409), nothing recorded
            if str(refused).startswith("quiet hours"):
                return None  # still due: a later round sends it
            return self._skipped(target, str(refused))
        case = target.case
        sent = SurveySent(
            event_id=uuid4(),
            originator_id=target.survey_id,
            customer_id=target.customer_id,
            occurred_at=now,
            recorded_at=now,
            kind=target.kind,
            channel=channel,
            interaction_id=outcome.interaction_id,
            status=outcome.status,
            case_id=case.complaint_id if case else None,
            campaign_id=target.campaign_id,
            queue=case.queue if case else None,
            agent=target.agent,
            product=case.product if case else None,
            expires_at=expires,
        )
        return self._first(target, sent, outcome.interaction_id)

    async def _send(
        self, target: Target, channel: SurveyChannel, key: str, expires: datetime
    ) -> SendOutcome:
        number = target.case.case_number if target.case else None
        if channel == "sms":
            return await self.messaging().send_sms(
                target.customer_id,
                domain.sms_text(target.kind, number),
                agent=HUB_AGENT,
                idempotency_key=key,
                initiated_by="hub",
            )
        mail = self.email()
        return await mail.outbound.send(
            mail.mail,
            target.customer_id,
            self._email(target, int(expires.timestamp())),
            agent=HUB_AGENT,
            idempotency_key=key,
            initiated_by="hub",
        )

    def _email(self, target: Target, expires: int) -> EmailDraft:
        low, high = domain.SCALES[target.kind]
        asked = domain.question(target.kind, target.case.case_number if target.case else None)
        links = [
            (
                score,
                domain.rating_url(
                    self.public_url, self.link_secret, target.survey_id, score, expires
                ),
            )
            for score in range(low, high + 1)
        ]
        text = "\n".join(
            [asked, "", "Choose your rating (one click is enough):"]
            + [f"{score}: {url}" for score, url in links]
        )
        anchors = " ".join(
            f'<a href="{html.escape(url)}" style="padding:4px 8px">{score}</a>'
            for score, url in links
        )
        page = (
            f"<p>{html.escape(asked)}</p><p>{anchors}</p>"
            f"<p>{low} = not at all, {high} = very much. One click is enough.</p>"
        )
        return EmailDraft(subject=asked, text=text, html=page)

    def _skipped(self, target: Target, reason: str) -> SurveyOutcome:
        log.info("satisfaction survey skipped: %s", reason)
        now = self.clock()
        skipped = SurveySkipped(
            event_id=uuid4(),
            originator_id=target.survey_id,
            customer_id=target.customer_id,
            occurred_at=now,
            recorded_at=now,
            kind=target.kind,
            channel=target.channel,
            case_id=target.case.complaint_id if target.case else None,
            reason=reason,
        )
        return self._first(target, skipped, None)

    def _first(self, target: Target, event: Event, interaction: UUID | None) -> SurveyOutcome:
        """Appends the survey's first event; a concurrent round that won reports its own."""
        status = "sent" if isinstance(event, SurveySent) else "skipped"

        def decide(history: list[Event]) -> list[Event]:
            return [] if history else [event]

        history, notification = decide_and_append(
            self.store, self.recorder, target.survey_id, decide
        )
        if history and history[0].event_id != event.event_id:
            status = "already"
        return SurveyOutcome(
            target.survey_id, status, interaction, getattr(event, "reason", ""), notification
        )
