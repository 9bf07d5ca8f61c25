"""Opening cases, by hand and by rules, and where a customer's message belongs.

The auto-open rules match word beginnings in German and English ("reklam"
matches Reklamation and reklamieren), case-insensitively; the first rule that
matches decides queue, priority and category. A customer's message joins their
active case; a message after a resolution (within the reopen window) reopens
the resolved case; otherwise the rules may open a new one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain import complaints
from domain.complaints import ComplaintState, IllegalTransition, Stamp
from events import (
    CaseNumberAssigned,
    ComplaintOpened,
    Event,
    InboundEvent,
    Priority,
    case_counter_id,
    case_number,
    provider_event_id,
)


@dataclass(frozen=True)
class KeywordRule:
    queue: str
    keywords: tuple[str, ...]
    priority: Priority = "normal"
    category: str | None = None


DEFAULT_RULES: tuple[KeywordRule, ...] = (
    KeywordRule(
        queue="refunds",
        category="refund",
        keywords=(
            "rückerstatt",
            "rueckerstatt",
            "erstattung",
            "geld zurück",
            "refund",
            "money back",
        ),
    ),
    KeywordRule(
        queue="complaints",
        category="defect",
        keywords=("defekt", "kaputt", "beschädigt", "reklam", "broken", "damaged", "faulty"),
    ),
    KeywordRule(
        queue="complaints",
        category="general",
        keywords=("beschwer", "complain", "unzufrieden", "dissatisfied"),
    ),
)

# Short function words that tell German from English well enough to pick a reply template.
_GERMAN = frozenset(
    [
        "ich",
        "und",
        "nicht",
        "ist",
        "das",
        "die",
        "der",
        "ein",
        "eine",
        "mein",
        "meine",
        "mit",
        "bitte",
        "danke",
        "habe",
        "wurde",
        "möchte",
    ]
)
_ENGLISH = frozenset(
    [
        "i",
        "and",
        "not",
        "is",
        "the",
        "a",
        "my",
        "with",
        "please",
        "thanks",
        "have",
        "was",
        "would",
        "want",
    ]
)
_WORD = re.compile(r"\w+", re.UNICODE)

# Fields of inbound events that carry what the customer wrote or said.
TEXT_FIELDS = ("subject", "body", "text", "body_text", "text_body", "body_plain", "transcript")


@dataclass(frozen=True)
class RuleMatch:
    rule: KeywordRule
    keywords: tuple[str, ...]


def message_text(event: Event) -> str:
    """What the customer wrote, whatever the channel's event calls it."""
    parts = [getattr(event, name, None) for name in TEXT_FIELDS]
    return "\n".join(p for p in parts if isinstance(p, str) and p)


def outbound_by_agent(event: Event) -> tuple[str, str] | None:
    """(channel, agent) if the event starts an agent's outbound interaction.

    Channel events name the agent in `sent_by` (messages, letters) or
    `placed_by` (calls); reading those keeps this free of every channel's types.
    """
    if isinstance(event, InboundEvent) or event.originator_version != 1:
        return None
    agent = getattr(event, "sent_by", None) or getattr(event, "placed_by", None)
    if not isinstance(agent, str) or not agent:
        return None
    channel = getattr(event, "channel", None)
    if not isinstance(channel, str):
        channel = "voice" if hasattr(event, "placed_by") else "other"
    return channel, agent


def _pattern(keyword: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(keyword.casefold()), re.UNICODE)


def match_rules(text: str, rules: Sequence[KeywordRule]) -> RuleMatch | None:
    folded = text.casefold()
    for rule in rules:
        found = tuple(k for k in rule.keywords if _pattern(k).search(folded))
        if found:
            return RuleMatch(rule, found)
    return None


def guess_language(text: str) -> str | None:
    words = [w.casefold() for w in _WORD.findall(text)]
    german = sum(w in _GERMAN for w in words) + sum(c in "äöüß" for c in text.casefold())
    english = sum(w in _ENGLISH for w in words)
    if german == english:
        return None
    return "de" if german > english else "en"


@dataclass(frozen=True)
class NewCase:
    complaint_id: UUID
    customer_id: UUID
    queue: str
    priority: Priority = "normal"
    opened_by: str = "rules"
    channel: str | None = None
    interaction_id: UUID | None = None
    category: str | None = None
    product: str | None = None
    language: str | None = None
    subject: str = ""
    matched_keywords: tuple[str, ...] = ()


def open_case(case: NewCase, stamp: Stamp, *, counter_version: int) -> list[Event]:
    """The case's first event and its case number, taken as the next version
    (`counter_version + 1`) of the year's counter stream."""
    year = stamp.occurred_at.year
    number = case_number(year, counter_version + 1)
    common = {
        "customer_id": case.customer_id,
        "occurred_at": stamp.occurred_at,
        "recorded_at": stamp.recorded_at,
        "correlation_id": stamp.correlation_id,
        "causation_id": stamp.causation_id,
    }
    return [
        CaseNumberAssigned(
            event_id=provider_event_id("contacthub", "case-number", str(case.complaint_id)),
            originator_id=case_counter_id(year),
            originator_version=counter_version + 1,
            complaint_id=case.complaint_id,
            case_number=number,
            **common,
        ),
        ComplaintOpened(
            event_id=stamp.event_id,
            originator_id=case.complaint_id,
            originator_version=1,
            case_number=number,
            queue=case.queue,
            priority=case.priority,
            channel=case.channel,
            interaction_id=case.interaction_id,
            opened_by=case.opened_by,
            category=case.category,
            product=case.product,
            language=case.language,
            matched_keywords=case.matched_keywords,
            subject=case.subject,
            **common,
        ),
    ]


@dataclass(frozen=True)
class Routing:
    """Where an inbound message goes: an existing case (with the events), a new
    case to open, or nowhere."""

    case: ComplaintState | None = None
    events: tuple[Event, ...] = ()
    new_case: NewCase | None = None


def route_inbound(
    *,
    complaint_id: UUID,
    customer_id: UUID,
    interaction_id: UUID,
    channel: str,
    text: str,
    occurred_at: datetime,
    cases: Sequence[ComplaintState],
    rules: Sequence[KeywordRule],
    reopen_window: timedelta,
    stamp: Stamp,
) -> Routing:
    """Decides for one recorded inbound message of a customer with these cases.

    `complaint_id` is the id a new case would get (derived from the message), so
    if the message already opened one, it is among `cases` and nothing happens.
    """
    if any(interaction_id in c.interaction_ids or c.complaint_id == complaint_id for c in cases):
        return Routing()
    by_activity = sorted(cases, key=lambda c: c.last_activity_at, reverse=True)
    active = [c for c in by_activity if c.active]
    target = active[0] if active else None
    if target is None:
        resolved = [
            c
            for c in by_activity
            if c.status == "resolved"
            and c.resolved_at is not None
            and occurred_at - c.resolved_at <= reopen_window
        ]
        target = resolved[0] if resolved else None
    if target is not None:
        try:
            events = complaints.customer_replied(
                target, stamp, interaction_id=interaction_id, channel=channel
            )
        except IllegalTransition:
            events = []
        return Routing(case=target, events=tuple(events))
    match = match_rules(text, rules)
    if match is None:
        return Routing()
    return Routing(
        new_case=NewCase(
            complaint_id=complaint_id,
            customer_id=customer_id,
            queue=match.rule.queue,
            priority=match.rule.priority,
            channel=channel,
            interaction_id=interaction_id,
            category=match.rule.category,
            language=guess_language(text),
            subject=text[:200],
            matched_keywords=match.keywords,
        )
    )
