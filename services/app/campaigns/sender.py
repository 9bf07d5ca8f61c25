"""Sending campaigns: the one send path for a rendered marketing message, and the
follower that works through each running campaign's members snapshot, throttled.

`CampaignMessages.send_rendered` is the generic hook (a survey's follow-up on
another branch uses it too): one rendered message to one customer through the
outbound pipeline, as the hub, for the `marketing` purpose, so consent (an
explicit opt-in) and quiet hours are checked there at send time.

Restarts never send twice: a member's send is recorded on a stream whose id
derives from the campaign and the customer (looked up before sending), and the
pipeline's idempotency key names the campaign, so a crash between the
provider's answer and the record finds the interaction and only records it.
"""

from __future__ import annotations

import contextlib
import html
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol
from uuid import UUID

import anyio
from eventsourcing.persistence import IntegrityError

from domain import campaigns as domain
from domain.campaigns import CampaignState
from domain.consent import INTRUSIVE, QuietHours, consent_by_purpose
from events import (
    CampaignChannel,
    CampaignSendRecorded,
    Event,
    campaign_send_id,
    provider_event_id,
)
from projections.campaigns import Campaigns
from services.app.errors import CommandRefused, CustomerNotFound
from services.app.intake.recorder import Recorder
from services.app.outbound.email import EmailDraft, EmailMessaging
from services.app.outbound.letters import LetterRequest, Letters
from services.app.outbound.messages import Messaging
from services.app.outbound.pipeline import SendOutcome
from services.infra.eventstore import EventStore
from services.infra.follower import FollowedService, Follower, each_until_stopped

Outcome = Literal["sent", "refused", "failed"]


class SurveySent(Protocol):
    @property
    def status(self) -> str: ...  # sent, skipped, or already (it went out before)
    @property
    def interaction_id(self) -> UUID | None: ...
    @property
    def reason(self) -> str: ...


# The satisfaction surveys' NPS send (services.app.satisfaction.surveys):
# (customer, channel, campaign id) -> what happened.
NpsSurvey = Callable[[UUID, str, str], SurveySent]

log = logging.getLogger(__name__)

HUB_AGENT = "hub"
# What a provider answers for a message it would not take.
FAILED = frozenset({"failed", "undelivered", "bounced"})


@dataclass(frozen=True)
class RenderedMessage:
    """A message for one customer, placeholders filled: the subject for email and
    letters (ignored by texts)."""

    subject: str
    body: str


class CampaignMessages:
    """Sends one rendered marketing message to one customer, over any campaign channel."""

    def __init__(
        self,
        messaging: Callable[[], Messaging],
        email: Callable[[], EmailMessaging],
        letters: Callable[[], Letters],
    ) -> None:
        # Built on first use: a hub that never mails a campaign needs no relay.
        self.messaging = messaging
        self.email = email
        self.letters = letters

    def unconfigured(self, channel: CampaignChannel) -> str | None:
        """Why the channel cannot send now (the settings to set), or None."""
        if channel in ("sms", "whatsapp"):
            texts = self.messaging()
            return (texts.whatsapp if channel == "whatsapp" else texts.sms).unconfigured()
        if channel == "email":
            return self.email().mail.unconfigured()
        return self.letters().post.unconfigured()

    async def send_rendered(
        self,
        channel: CampaignChannel,
        customer_id: UUID,
        message: RenderedMessage,
        *,
        idempotency_key: str,
    ) -> SendOutcome:
        """Raises CommandRefused (no consent, quiet hours, no address) or
        CustomerNotFound; the same key again reports the first send."""
        if channel in ("sms", "whatsapp"):
            texts = self.messaging()
            return await texts.send_sms(
                customer_id,
                message.body,
                agent=HUB_AGENT,
                idempotency_key=idempotency_key,
                channel=channel,
                initiated_by="hub",
                purpose="marketing",
            )
        if channel == "email":
            email = self.email()
            paragraphs = "".join(
                f"<p>{html.escape(p)}</p>" for p in message.body.split("\n\n") if p.strip()
            )
            draft = EmailDraft(subject=message.subject, text=message.body, html=paragraphs)
            return await email.outbound.send(
                email.mail,
                customer_id,
                draft,
                agent=HUB_AGENT,
                idempotency_key=idempotency_key,
                initiated_by="hub",
                purpose="marketing",
            )
        letters = self.letters()
        return await letters.outbound.send(
            letters.post,
            customer_id,
            LetterRequest(message.subject, message.body),
            agent=HUB_AGENT,
            idempotency_key=idempotency_key,
            initiated_by="hub",
            purpose="marketing",
        )


def display_name(history: list[Event]) -> str:
    """The customer's name as last recorded on their stream ('' if unknown)."""
    name = ""
    for event in history:
        value = getattr(event, "display_name", None)
        if isinstance(value, str) and value:
            name = value
    return name


class CampaignSender(FollowedService):
    """The follower that sends each running campaign's next members, throttled."""

    def __init__(
        self,
        store: EventStore,
        recorder: Recorder,
        view: Campaigns,
        messages: CampaignMessages,
        *,
        nps_survey: NpsSurvey | None = None,
        quiet: QuietHours | None,
        clock: Callable[[], datetime],
        interval: float,
        on_write: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.view = view
        self.messages = messages
        self.nps_survey = nps_survey
        self.quiet = quiet
        self.clock = clock
        # Wakes the projector after a write, so the report follows the sends closely.
        self.on_write = on_write
        # Provider calls per campaign in the throttle's window; seeded from the
        # read model the first time a campaign is seen, so a restart keeps the pace.
        self._recent: dict[UUID, deque[datetime]] = {}
        self._follower = Follower("campaign-sender", self._round, poll_interval=interval)

    def _round(self, stop: threading.Event) -> None:
        each_until_stopped(self.view.running(), lambda c: self.advance(c, stop), stop)

    def run_due(self) -> int:
        """One round now (for tests and the CLI); returns how many sends it recorded."""
        return sum(self.advance(c) for c in self.view.running())

    def advance(self, campaign_id: UUID, stop: threading.Event | None = None) -> int:
        """Sends to the campaign's next members the throttle allows; finishes the
        campaign once every member has a recorded send. Returns the sends recorded."""
        state = domain.fold(self.store.stream(campaign_id))
        if state is None or state.status != "running":
            return 0
        now = self.clock()
        if self.quiet is not None and state.channel in INTRUSIVE and self.quiet.contains(now):
            return 0  # wait out the quiet hours rather than refuse every member
        sends = self.view.sends(campaign_id)
        recorded = {row["customer_id"] for row in sends}
        recent = self._recent.get(campaign_id)
        if recent is None:
            recent = self._recent[campaign_id] = deque(
                sorted(  # oldest first, as the window drops them
                    datetime.fromisoformat(row["sent_at"])
                    for row in sends
                    if row["outcome"] != "refused"
                )
            )
        while recent and recent[0] <= now - domain.THROTTLE_WINDOW:
            recent.popleft()
        budget = domain.allowance(recent, now, state.throttle_per_minute)
        done = 0
        for customer_id in state.members:
            if str(customer_id) in recorded or self.store.exists(
                campaign_send_id(campaign_id, customer_id)
            ):
                continue  # recorded before (the read model may lag behind)
            if budget <= 0 or (stop is not None and stop.is_set()):
                return done
            send = self._send(state, customer_id)
            done += 1
            if send.outcome != "refused":
                recent.append(send.occurred_at)
                budget -= 1
        self._finish(state)
        self._recent.pop(campaign_id, None)
        return done

    def _send(self, state: CampaignState, customer_id: UUID) -> CampaignSendRecorded:
        if state.kind == "nps":
            return self._record(state, customer_id, *self._send_nps(state, customer_id))
        key = f"campaign/{state.campaign_id}"
        outcome: SendOutcome | None = None
        result: Outcome
        try:
            fields = domain.profile_fields(display_name(self.store.stream(customer_id)))
            message = RenderedMessage(
                domain.render(state.subject, fields), domain.render(state.body, fields)
            )
            outcome = anyio.run(
                _send_rendered, self.messages, state.channel, customer_id, message, key
            )
        except (CommandRefused, CustomerNotFound) as refused:
            result, reason = "refused", str(refused)
        else:
            failed = outcome.error is not None or outcome.status in FAILED
            result, reason = ("failed", outcome.error or outcome.status) if failed else ("sent", "")
        return self._record(
            state,
            customer_id,
            result,
            reason,
            outcome.interaction_id if outcome else None,
            outcome.status if outcome else "",
        )

    def _send_nps(
        self, state: CampaignState, customer_id: UUID
    ) -> tuple[Outcome, str, UUID | None, str]:
        """The hub's NPS survey instead of the campaign's text. A survey sent as
        a campaign is marketing (market research), so it needs the member's
        marketing consent on the channel, which a case's own survey does not."""
        if self.nps_survey is None or state.channel not in ("sms", "email"):
            return "refused", f"no NPS surveys over {state.channel}", None, ""
        allowed = consent_by_purpose(self.store.stream(customer_id))
        if not allowed.get(state.channel, {}).get("marketing", False):
            return "refused", f"no marketing consent on {state.channel}", None, ""
        try:
            survey = self.nps_survey(customer_id, state.channel, str(state.campaign_id))
        except (CommandRefused, CustomerNotFound) as refused:
            return "refused", str(refused), None, ""
        if survey.status == "skipped":
            return "refused", survey.reason, None, ""
        return "sent", "", survey.interaction_id, survey.status

    def _record(
        self,
        state: CampaignState,
        customer_id: UUID,
        result: Outcome,
        reason: str,
        interaction_id: UUID | None,
        status: str,
    ) -> CampaignSendRecorded:
        now = self.clock()
        event = CampaignSendRecorded(
            event_id=provider_event_id(
                "contacthub", "campaign-send", str(state.campaign_id), str(customer_id)
            ),
            originator_id=campaign_send_id(state.campaign_id, customer_id),
            customer_id=customer_id,
            occurred_at=now,
            recorded_at=now,
            campaign_id=state.campaign_id,
            outcome=result,
            reason=reason,
            interaction_id=interaction_id,
            status=status,
        )
        try:
            self.recorder.append([event])
        except IntegrityError:
            log.info("campaign send for %s was recorded meanwhile", customer_id)
        self.on_write()
        return event

    def _finish(self, state: CampaignState) -> None:
        now = self.clock()
        events = domain.finish(
            state,
            sends=len(state.members),
            event_id=provider_event_id("contacthub", "campaign-finished", str(state.campaign_id)),
            now=now,
        )
        if events:
            with contextlib.suppress(IntegrityError):  # finished by another sender meanwhile
                self.recorder.append(events)
            self.on_write()


async def _send_rendered(
    messages: CampaignMessages,
    channel: CampaignChannel,
    customer_id: UUID,
    message: RenderedMessage,
    key: str,
) -> SendOutcome:
    return await messages.send_rendered(channel, customer_id, message, idempotency_key=key)
