"""Campaigns, decided purely: the template and its placeholders, the campaign's
life (created -> started -> finished), the throttle, attribution of what a
recipient did afterwards, and the report's figures.

Attribution is last touch: a reply, an opt-out or an order by a recipient
counts for the campaign whose send reached them last before it, if it lies
within that campaign's window; each campaign counts one of each kind per
customer at most (a customer who orders three times is one conversion).
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from domain.consent_keywords import keyword_message
from events import (
    CampaignChannel,
    CampaignCreated,
    CampaignFinished,
    CampaignKind,
    CampaignSendRecorded,
    CampaignStarted,
    ConsentChanged,
    Event,
    InboundEvent,
    OrderPlaced,
)

# What a template may name, filled from the customer's profile at send time.
PLACEHOLDERS = ("first_name", "last_name", "name")
# Channels whose message has a subject line (an email's Subject, a letter's heading).
WITH_SUBJECT = ("email", "letter")
THROTTLE_WINDOW = timedelta(minutes=1)

AttributionKind = Literal["reply", "opt_out", "order"]
ATTRIBUTION_KINDS: tuple[AttributionKind, ...] = ("reply", "opt_out", "order")


class InvalidCampaign(ValueError):
    """The campaign cannot be defined as given (422); the message says why."""


class CampaignNotFound(LookupError):
    """No campaign has this id (404)."""


class CampaignAlreadyStarted(ValueError):
    """A campaign starts once (409)."""


# Templates --------------------------------------------------------------------


def placeholders(template: str) -> list[str]:
    """The names a template's `{...}` fields use; InvalidCampaign for a field
    that is not a plain known name (`{0}`, `{x.y}`, `{name!r}`, an unknown name)."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:  # an unmatched brace
        raise InvalidCampaign(f"template: {exc}") from None
    names: list[str] = []
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in PLACEHOLDERS or spec or conversion:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise InvalidCampaign(
                f"unknown placeholder {{{field}}} in the template; known: {known}"
            )
        names.append(field)
    return names


def check_template(channel: CampaignChannel, subject: str, body: str) -> None:
    placeholders(subject)
    placeholders(body)
    if not body.strip():
        raise InvalidCampaign("the template body is empty")
    if channel in WITH_SUBJECT and not subject.strip():
        raise InvalidCampaign(f"a {channel} campaign needs a subject")


def profile_fields(display_name: str) -> dict[str, str]:
    """The placeholders' values for a customer known as `display_name`."""
    name = " ".join(display_name.split())
    first, _, last = name.partition(" ")
    return {"first_name": first, "last_name": last, "name": name}


def render(template: str, fields: Mapping[str, str]) -> str:
    """The template with its placeholders filled (checked at creation)."""
    return template.format_map({p: fields.get(p, "") for p in PLACEHOLDERS})


# The campaign's life -------------------------------------------------------------


@dataclass(frozen=True)
class CampaignState:
    campaign_id: UUID
    version: int
    name: str
    segment_id: UUID
    channel: CampaignChannel
    kind: CampaignKind
    subject: str
    body: str
    window: timedelta
    throttle_per_minute: int
    started_at: datetime | None = None
    members: tuple[UUID, ...] = ()
    finished: bool = False

    @property
    def status(self) -> str:
        if self.finished:
            return "finished"
        return "running" if self.started_at is not None else "draft"


def fold(history: Sequence[Event]) -> CampaignState | None:
    state: CampaignState | None = None
    for event in history:
        if isinstance(event, CampaignCreated):
            state = CampaignState(
                campaign_id=event.originator_id,
                version=event.originator_version,
                name=event.name,
                segment_id=event.segment_id,
                channel=event.channel,
                kind=event.kind,
                subject=event.subject,
                body=event.body,
                window=timedelta(days=event.attribution_window_days),
                throttle_per_minute=event.throttle_per_minute,
            )
        elif state is not None and isinstance(event, CampaignStarted):
            state = _replace(state, event, started_at=event.occurred_at, members=event.members)
        elif state is not None and isinstance(event, CampaignFinished):
            state = _replace(state, event, finished=True)
    return state


def _replace(state: CampaignState, event: Event, **changes: object) -> CampaignState:
    return replace(state, version=event.originator_version, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class NewCampaign:
    campaign_id: UUID
    name: str
    segment_id: UUID
    channel: CampaignChannel
    kind: CampaignKind
    subject: str
    body: str
    attribution_window_days: int
    throttle_per_minute: int


def create(new: NewCampaign, *, event_id: UUID, now: datetime, by: str) -> CampaignCreated:
    """The campaign's first event; InvalidCampaign if its template is not usable."""
    check_template(new.channel, new.subject, new.body)
    return CampaignCreated(
        event_id=event_id,
        originator_id=new.campaign_id,
        occurred_at=now,
        recorded_at=now,
        name=new.name,
        segment_id=new.segment_id,
        channel=new.channel,
        kind=new.kind,
        subject=new.subject,
        body=new.body,
        attribution_window_days=new.attribution_window_days,
        throttle_per_minute=new.throttle_per_minute,
        created_by=by,
    )


def start(
    state: CampaignState | None,
    members: Iterable[UUID],
    *,
    event_id: UUID,
    now: datetime,
    by: str,
) -> CampaignStarted:
    """Starts the campaign on the members snapshot (duplicates dropped, order kept)."""
    if state is None:
        raise CampaignNotFound("no such campaign")
    if state.started_at is not None:
        raise CampaignAlreadyStarted(f"campaign {state.campaign_id} was started before")
    return CampaignStarted(
        event_id=event_id,
        originator_id=state.campaign_id,
        originator_version=state.version + 1,
        occurred_at=now,
        recorded_at=now,
        members=tuple(dict.fromkeys(members)),
        started_by=by,
    )


def finish(state: CampaignState, *, sends: int, event_id: UUID, now: datetime) -> list[Event]:
    if state.finished or state.started_at is None:
        return []
    return [
        CampaignFinished(
            event_id=event_id,
            originator_id=state.campaign_id,
            originator_version=state.version + 1,
            occurred_at=now,
            recorded_at=now,
            sends=sends,
        )
    ]


def allowance(recent: Iterable[datetime], now: datetime, per_minute: int) -> int:
    """How many sends the throttle allows now, given the times of the recent ones."""
    since = now - THROTTLE_WINDOW
    return max(0, per_minute - sum(1 for t in recent if t > since))


# Attribution ------------------------------------------------------------------


@dataclass(frozen=True)
class Touch:
    """A campaign's message that reached a customer (outcome `sent`)."""

    campaign_id: str
    sent_at: datetime
    window: timedelta


def attribution_kind(event: Event) -> AttributionKind | None:
    """What an event by a customer counts as for campaigns, if anything: a message
    of theirs is a reply (a STOP keyword is the opt-out, not a reply), an opt-out
    of marketing (or of the whole channel) an opt-out, an order an order."""
    if event.customer_id is None:
        return None
    if isinstance(event, InboundEvent):
        return None if keyword_message(event) is not None else "reply"
    if isinstance(event, ConsentChanged):
        opted_out = not event.granted and event.purpose in (None, "marketing")
        return "opt_out" if opted_out else None
    if isinstance(event, OrderPlaced):
        return "order"
    return None


def attribute(touches: Iterable[Touch], at: datetime) -> str | None:
    """The campaign an action at `at` counts for: the latest touch before it
    whose window still covers it (None: no campaign)."""
    best: Touch | None = None
    for touch in touches:
        if touch.sent_at <= at <= touch.sent_at + touch.window and (
            best is None or (touch.sent_at, touch.campaign_id) > (best.sent_at, best.campaign_id)
        ):
            best = touch
    return best.campaign_id if best else None


def touch_of(send: CampaignSendRecorded, window: timedelta) -> Touch | None:
    if send.outcome != "sent":
        return None
    return Touch(str(send.campaign_id), send.occurred_at, window)


# The report -------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignFigures:
    members: int
    sent: int
    refused: int
    failed: int
    delivered: int
    undelivered: int
    replies: int
    opt_outs: int
    orders: int

    @property
    def pending(self) -> int:
        return self.members - self.sent - self.refused - self.failed

    @property
    def reach(self) -> int:
        """Members the campaign's message reached (the provider took it)."""
        return self.sent

    def rate(self, count: int) -> float:
        return round(count / self.sent, 6) if self.sent else 0.0

    @property
    def conversion_rate(self) -> float:
        """Attributed orders (one per customer) per member reached."""
        return self.rate(self.orders)

    def rows(self) -> list[tuple[str, int, float]]:
        """(figure, count, share of reach): the funnel, in order."""
        return [
            ("members", self.members, self.rate(self.members)),
            ("sent", self.sent, self.rate(self.sent)),
            ("delivered", self.delivered, self.rate(self.delivered)),
            ("replies", self.replies, self.rate(self.replies)),
            ("orders", self.orders, self.rate(self.orders)),
            ("opt_outs", self.opt_outs, self.rate(self.opt_outs)),
            ("refused", self.refused, self.rate(self.refused)),
            ("failed", self.failed, self.rate(self.failed)),
            ("undelivered", self.undelivered, self.rate(self.undelivered)),
        ]


DELIVERED = frozenset({"delivered", "posted"})
UNDELIVERED = frozenset({"undelivered", "failed", "bounced", "returned"})


def delivery_of(status: str) -> str:
    """What a provider status says about delivery: delivered, undelivered or '' (not yet)."""
    if status in DELIVERED:
        return "delivered"
    if status in UNDELIVERED:
        return "undelivered"
    return ""


def figures(
    members: int,
    sends: Iterable[Mapping[str, object]],
    attributions: Mapping[str, int],
) -> CampaignFigures:
    """The report from the send rows (`outcome`, `delivery`) and the attributed
    counts per kind."""
    outcomes = {"sent": 0, "refused": 0, "failed": 0}
    delivery = {"delivered": 0, "undelivered": 0}
    for row in sends:
        outcomes[str(row["outcome"])] += 1
        if row["outcome"] == "sent" and row["delivery"] in delivery:
            delivery[str(row["delivery"])] += 1
    return CampaignFigures(
        members=members,
        sent=outcomes["sent"],
        refused=outcomes["refused"],
        failed=outcomes["failed"],
        delivered=delivery["delivered"],
        undelivered=delivery["undelivered"],
        replies=int(attributions.get("reply", 0)),
        opt_outs=int(attributions.get("opt_out", 0)),
        orders=int(attributions.get("order", 0)),
    )
