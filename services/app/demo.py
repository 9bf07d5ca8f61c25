"""Realistic sample data: customers writing and receiving SMS in German and English.

Built through the same domain decisions as live traffic (`plan_inbound`,
`SmsSent`, status changes), appended in batches so that tens of thousands of
interactions load in seconds.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

from domain.addresses import address_key
from domain.contacts import plan_inbound
from events import (
    CustomerRegistered,
    Event,
    SmsReceived,
    SmsSent,
    SmsStatus,
    SmsStatusChanged,
    provider_event_id,
)
from services.infra.eventstore import EventStore

GERMAN_FIRST = [
    "Anna",
    "Lukas",
    "Sophie",
    "Jonas",
    "Marie",
    "Felix",
    "Lea",
    "Paul",
    "Emma",
    "Maximilian",
    "Hannah",
    "Leon",
    "Mia",
    "Finn",
    "Lena",
    "Jürgen",
    "Sabine",
    "Günther",
    "Ursula",
    "Björn",
]
GERMAN_LAST = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
]
ENGLISH_FIRST = [
    "Oliver",
    "Amelia",
    "George",
    "Isla",
    "Harry",
    "Ava",
    "Jack",
    "Emily",
    "Charlie",
    "Grace",
    "Thomas",
    "Sophia",
    "James",
    "Olivia",
    "William",
]
ENGLISH_LAST = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
]

INBOUND = {
    "de": [
        "Hallo, wann wird meine Bestellung {order} geliefert?",
        "Das Gerät ist defekt, ich möchte es reklamieren.",
        "Vielen Dank für die schnelle Hilfe!",
        "Können Sie mich bitte zurückrufen? Es geht um Rechnung {order}.",
        "Meine Lieferung ist beschädigt angekommen.",
        "Ich möchte meine Adresse ändern.",
        "Wo bleibt meine Rückerstattung für {order}?",
        "Grüße aus München, alles bestens.",
    ],
    "en": [
        "Hi, when will order {order} arrive?",
        "The device is broken, I want a refund.",
        "Thanks a lot for the quick help!",
        "Could you call me back about invoice {order}?",
        "My parcel arrived damaged.",
        "Please update my delivery address.",
        "Still waiting for the refund on {order}.",
        "All good, thank you.",
    ],
}
OUTBOUND = {
    "de": [
        "Ihre Bestellung {order} ist unterwegs.",
        "Wir haben Ihre Reklamation erhalten und melden uns.",
        "Ihre Rückerstattung für {order} wurde veranlasst.",
        "Guten Tag, wir rufen Sie morgen zurück.",
    ],
    "en": [
        "Your order {order} has shipped.",
        "We received your complaint and will be in touch.",
        "Your refund for {order} has been issued.",
        "Hello, we will call you back tomorrow.",
    ],
}
OUR_NUMBER = "+4930901820"


def _phone(seed: int, index: int, language: str) -> str:
    """A number unique to (seed, index): one sample never hands two customers the
    same number, and samples with other seeds add to it without colliding."""
    if language == "de":
        return f"+49176{seed % 100:02d}{index:06d}"
    return f"+447{seed % 1000:03d}{index:06d}"


def generate(
    *, customers: int, interactions: int, secret: bytes, seed: int, now: datetime
) -> Iterator[list[Event]]:
    """Yields each customer's events (first contact, then their history), oldest first."""
    rng = random.Random(seed)
    per_customer = [1] * customers
    for _ in range(interactions - customers):
        per_customer[rng.randrange(customers)] += 1
    for index in range(customers):
        language = "de" if rng.random() < 0.65 else "en"
        first, last = (
            (GERMAN_FIRST, GERMAN_LAST) if language == "de" else (ENGLISH_FIRST, ENGLISH_LAST)
        )
        name = f"{rng.choice(first)} {rng.choice(last)}"
        number = _phone(seed, index, language)
        key = address_key(secret, "sms", number)
        start = now - timedelta(days=rng.uniform(30, 730))
        times = sorted(start + (now - start) * rng.random() for _ in range(per_customer[index]))
        times[0] = start
        events: list[Event] = []
        customer_id: UUID | None = None
        for n, at in enumerate(times):
            order = f"A-{rng.randrange(100000, 999999)}"
            sid = f"SM{rng.getrandbits(128):032x}"
            if n == 0 or rng.random() < 0.55:
                message = SmsReceived(
                    event_id=provider_event_id("twilio", "message", sid),
                    originator_id=provider_event_id("twilio", "message", sid),
                    occurred_at=at,
                    provider_message_id=sid,
                    from_address=number,
                    to_address=OUR_NUMBER,
                    address_key=key,
                    body=rng.choice(INBOUND[language]).format(order=order),
                )
                plan = plan_inbound(message, claimed_by=customer_id, already_recorded=False, now=at)
                assert plan is not None
                customer_id = plan.customer_id
                events += [
                    e.model_copy(update={"display_name": name, "language": language})
                    if isinstance(e, CustomerRegistered)
                    else e
                    for e in plan.events
                ]
                continue
            assert customer_id is not None
            interaction_id = provider_event_id("demo", "outbound", sid)
            events.append(
                SmsSent(
                    event_id=interaction_id,
                    originator_id=interaction_id,
                    customer_id=customer_id,
                    occurred_at=at,
                    recorded_at=at,
                    to_address=number,
                    from_address=OUR_NUMBER,
                    body=rng.choice(OUTBOUND[language]).format(order=order),
                    sent_by=rng.choice(["agent.mueller", "agent.smith", "agent.yilmaz"]),
                )
            )
            final = SmsStatus.DELIVERED if rng.random() < 0.95 else SmsStatus.UNDELIVERED
            for version, status in enumerate((SmsStatus.QUEUED, SmsStatus.SENT, final), start=2):
                events.append(
                    SmsStatusChanged(
                        event_id=provider_event_id("twilio", "message-status", sid, status.value),
                        originator_id=interaction_id,
                        originator_version=version,
                        customer_id=customer_id,
                        occurred_at=at + timedelta(seconds=version),
                        recorded_at=at + timedelta(seconds=version),
                        status=status,
                        provider_message_id=sid,
                    )
                )
        yield events


def load_demo(
    store: EventStore,
    *,
    secret: bytes,
    customers: int = 1000,
    interactions: int = 20000,
    seed: int = 42,
    progress: Callable[[int], None] = lambda n: None,
    batch_size: int = 1000,
) -> int:
    """Appends the sample data; returns the number of interactions written."""
    if interactions < customers:
        raise ValueError("need at least one interaction per customer")
    batch: list[Event] = []
    written = 0
    now = datetime.now(UTC)
    for history in generate(
        customers=customers, interactions=interactions, secret=secret, seed=seed, now=now
    ):
        batch += history
        count = sum(1 for e in history if isinstance(e, SmsReceived | SmsSent))
        written += count
        progress(count)
        if len(batch) >= batch_size:
            _append(store, batch)
            batch = []
    if batch:
        _append(store, batch)
    return written


def _append(store: EventStore, batch: list[Event]) -> None:
    # The batch's new customers' keys in two queries, not one transaction each.
    store.keys.prepare(e.customer_id for e in batch if e.customer_id is not None)
    store.append(batch)
