"""Consent keywords in an inbound text message: `STOP` and its kin opt the sender
out of the channel, `START` back in.

The whole message must be the keyword (trimmed, any case), so a sentence that
merely contains "stop" changes nothing. STOP is channel-wide (every purpose);
START restores service messages only: marketing needs the customer's explicit
opt-in, which a bare START is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from events import ConsentChanged, Event, Purpose, SmsReceived, provider_event_id

OPT_OUT_WORDS = frozenset({"STOP", "STOPP", "ABMELDEN", "UNSUBSCRIBE"})
OPT_IN_WORDS = frozenset({"START"})


@dataclass(frozen=True)
class KeywordConsent:
    keyword: str
    granted: bool
    # None: every purpose of the channel.
    purpose: Purpose | None


def keyword_consent(body: str) -> KeywordConsent | None:
    """The consent decision the message's text states, or None if it is no keyword."""
    word = body.strip().upper()
    if word in OPT_OUT_WORDS:
        return KeywordConsent(word, granted=False, purpose=None)
    if word in OPT_IN_WORDS:
        return KeywordConsent(word, granted=True, purpose="service")
    return None


def keyword_message(message: Event) -> KeywordConsent | None:
    """The keyword an inbound SMS or WhatsApp message is, if it is one."""
    return keyword_consent(message.body) if isinstance(message, SmsReceived) else None


def keyword_consent_event(
    message: SmsReceived, customer_id: UUID, version: int, now: datetime
) -> ConsentChanged | None:
    """The consent change an inbound keyword records on the customer stream at
    `version`; its id derives from the message's, so a redelivery records nothing."""
    found = keyword_consent(message.body)
    if found is None:
        return None
    return ConsentChanged(
        event_id=provider_event_id("contacthub", "keyword-consent", str(message.event_id)),
        originator_id=customer_id,
        originator_version=version,
        customer_id=customer_id,
        occurred_at=message.occurred_at,
        recorded_at=now,
        channel=message.channel,
        granted=found.granted,
        purpose=found.purpose,
        changed_by=None,
        source=f"{message.channel}-keyword {found.keyword}",
        causation_id=message.event_id,
        correlation_id=message.correlation_id or message.event_id,
    )
