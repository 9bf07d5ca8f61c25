"""May we contact the customer over this channel now? Consent and quiet hours.

Consent: the latest `ConsentChanged` per channel decides; with none, service
contact is allowed. Consent applies to every channel.

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

from events import ConsentChanged, Event

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


def consent_by_channel(history: Iterable[Event]) -> dict[str, bool]:
    decided: dict[str, bool] = {}
    for event in history:
        if isinstance(event, ConsentChanged):
            decided[event.channel] = event.granted
    return decided


def consent_in_force(history: Iterable[Event], channel: str) -> ConsentChanged | None:
    """The latest consent decision for the channel, or None if the customer made none."""
    latest = None
    for event in history:
        if isinstance(event, ConsentChanged) and event.channel == channel:
            latest = event
    return latest


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
    initiated_by: Initiator = "agent",
    last_inbound_at: datetime | None = None,
) -> ContactDecision:
    """May the send go out now? `history` is the customer stream; `last_inbound_at`
    when the customer's own last message on `channel` arrived (None: never)."""
    consent = consent_in_force(history, channel)
    consent_id = consent.event_id if consent is not None else None
    if consent is not None and not consent.granted:
        return ContactDecision(False, f"the customer opted out of {channel}", consent_id)
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
