"""May we contact the customer over this channel now? Consent and quiet hours.

Consent: per channel and purpose, the latest `ConsentChanged` for that purpose
or for the whole channel (no purpose) decides; with none, `service` contact is
allowed and `marketing` is not (it needs the customer's opt-in). Agent replies
are service; campaigns are marketing. Consent applies to every channel.

Quiet hours (local time, e.g. 20:00-08:00 Europe/Berlin) hold back contact
that interrupts the customer: calls, and text messages (SMS, WhatsApp) that
the hub initiates (campaigns, reminders) or that an agent sends unprompted.
An agent's text within 24 hours of the customer's own last message on that
channel is a reply the customer is waiting for, so it is not held back.
Email and letters are not intrusive and go out any time.

The decisions are pure: the caller passes the history, the clock and the time
of the customer's last inbound message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from events import PURPOSES, ConsentChanged, Event, Purpose

# Channels whose outbound contact interrupts the customer, so quiet hours apply.
INTRUSIVE = frozenset({"sms", "whatsapp", "voice"})
# Channels where an agent's prompt answer to the customer's own message is expected.
REPLY_CHANNELS = frozenset({"sms", "whatsapp"})
# How long after the customer's own message an agent's text still counts as a reply.
REPLY_WINDOW = timedelta(hours=24)

# Who starts a send: an agent at the desk, or the hub itself (campaigns, reminders).
Initiator = Literal["agent", "hub"]


class ContactRefused(ValueError):
    """Contact over the channel is not allowed now; the message says why."""


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, spec: str, zone: str) -> QuietHours | None:
        """'20:00-08:00' -> the window; '' -> None (no quiet hours)."""
        if not spec.strip():
            return None
        try:
            start_text, end_text = spec.split("-")
            start, end = (
                time.fromisoformat(start_text.strip()),
                time.fromisoformat(end_text.strip()),
            )
        except ValueError:
            raise ValueError(f"quiet hours must look like 20:00-08:00, not {spec!r}") from None
        return cls(start, end, ZoneInfo(zone))

    def contains(self, instant: datetime) -> bool:
        local = instant.astimezone(self.zone).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # the window spans midnight

    def describe(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M} {self.zone.key}"


@dataclass(frozen=True)
class ContactDecision:
    """Whether a send may go out now, why, and the consent it relies on."""

    allowed: bool
    reason: str
    # The `ConsentChanged` in force for the channel; None: default service consent.
    consent_id: UUID | None = None


# Without any decision of the customer's: service contact yes, marketing no.
DEFAULT_CONSENT: dict[Purpose, bool] = {"service": True, "marketing": False}


def applies(event: ConsentChanged, channel: str, purpose: Purpose) -> bool:
    return event.channel == channel and event.purpose in (None, purpose)


def consent_in_force(
    history: Iterable[Event], channel: str, purpose: Purpose = "service"
) -> ConsentChanged | None:
    """The latest decision for the channel and purpose, or None if the customer made none."""
    latest = None
    for event in history:
        if isinstance(event, ConsentChanged) and applies(event, channel, purpose):
            latest = event
    return latest


def granted(history: Iterable[Event], channel: str, purpose: Purpose) -> bool:
    consent = consent_in_force(history, channel, purpose)
    return DEFAULT_CONSENT[purpose] if consent is None else consent.granted


def consent_by_purpose(history: Iterable[Event]) -> dict[str, dict[Purpose, bool]]:
    """Per channel the customer decided on: whether each purpose is allowed now."""
    events = list(history)
    channels = sorted({e.channel for e in events if isinstance(e, ConsentChanged)})
    return {c: {p: granted(events, c, p) for p in PURPOSES} for c in channels}


def consent_by_channel(history: Iterable[Event]) -> dict[str, bool]:
    """Per channel the customer decided on: whether service contact is allowed now."""
    return {c: p["service"] for c, p in consent_by_purpose(history).items()}


def changes_anything(
    history: Iterable[Event], channel: str, purpose: Purpose | None, grant: bool
) -> bool:
    """Would recording this decision change what is allowed? Saying it again does not."""
    events = list(history)
    purposes = PURPOSES if purpose is None else (purpose,)
    return any(
        consent_in_force(events, channel, p) is None or granted(events, channel, p) is not grant
        for p in purposes
    )


def refusal_reason(consent: ConsentChanged | None, channel: str, purpose: Purpose) -> str:
    if consent is None:  # only marketing is refused without a decision
        return f"the customer has not opted in to {purpose} over {channel}"
    if consent.purpose is None or purpose == "service":
        return f"the customer opted out of {channel}"
    return f"the customer opted out of {purpose} over {channel}"


def is_reply(
    channel: str, now: datetime, initiated_by: Initiator, last_inbound_at: datetime | None
) -> bool:
    """An agent's text answering the customer's own message on that channel, in time."""
    return (
        initiated_by == "agent"
        and channel in REPLY_CHANNELS
        and last_inbound_at is not None
        and now - last_inbound_at <= REPLY_WINDOW
    )


def decide_contact(
    history: Iterable[Event],
    channel: str,
    now: datetime,
    quiet: QuietHours | None,
    *,
    purpose: Purpose = "service",
    initiated_by: Initiator = "agent",
    last_inbound_at: datetime | None = None,
) -> ContactDecision:
    """May the send go out now? `history` is the customer stream; `purpose` why we
    contact; `last_inbound_at` when the customer's own last message on `channel`
    arrived (None: never)."""
    consent = consent_in_force(history, channel, purpose)
    consent_id = consent.event_id if consent is not None else None
    allowed = DEFAULT_CONSENT[purpose] if consent is None else consent.granted
    if not allowed:
        return ContactDecision(False, refusal_reason(consent, channel, purpose), consent_id)
    if quiet is None or channel not in INTRUSIVE or not quiet.contains(now):
        return ContactDecision(True, "allowed", consent_id)
    if is_reply(channel, now, initiated_by, last_inbound_at):
        return ContactDecision(
            True, "a reply within 24 hours of the customer's own message", consent_id
        )
    return ContactDecision(
        False,
        f"quiet hours ({quiet.describe()}): no {channel} contact until "
        f"{quiet.end:%H:%M} local time",
        consent_id,
    )


def check_contact(
    history: Iterable[Event], channel: str, now: datetime, quiet: QuietHours | None
) -> None:
    """Raises ContactRefused if an agent's unprompted contact is not allowed now."""
    decision = decide_contact(history, channel, now, quiet)
    if not decision.allowed:
        raise ContactRefused(decision.reason)
