"""Realistic sample data: customers writing and receiving SMS in German and English.

Built through the same domain decisions as live traffic (`plan_inbound`,
`SmsSent`, status changes), appended in batches so that tens of thousands of
interactions load in seconds. The history ends now; some customers complain,
the complaint intake opens their cases as it would live, and the demo's agents
answer (an SMS) and resolve most of them, mostly within the SLA: the queues show
today's open cases, a few overdue ones, and a resolved past.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from domain import complaints
from domain.addresses import address_key
from domain.complaints import ComplaintState, IllegalTransition, Stamp
from domain.contacts import plan_inbound
from events import (
    CustomerRegistered,
    Event,
    SmsReceived,
    SmsSent,
    SmsStatus,
    SmsStatusChanged,
    complaint_id_for,
    provider_event_id,
)
from services.app.complaints.desk import ComplaintDesk
from services.app.demo_complaints import DemoComplaint
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

# What customers ask: no complaint keyword, so no case is opened for these.
INBOUND = {
    "de": [
        "Hallo, wann wird meine Bestellung {order} geliefert?",
        "Vielen Dank für die schnelle Hilfe!",
        "Können Sie mich bitte zurückrufen? Es geht um Rechnung {order}.",
        "Ich möchte meine Adresse ändern.",
        "Grüße aus München, alles bestens.",
    ],
    "en": [
        "Hi, when will order {order} arrive?",
        "Thanks a lot for the quick help!",
        "Could you call me back about invoice {order}?",
        "Please update my delivery address.",
        "All good, thank you.",
    ],
}
# Complaints: each matches a built-in auto-open rule, so the intake opens a case.
COMPLAINTS = {
    "de": [
        "Das Gerät ist defekt, ich möchte es reklamieren.",
        "Meine Lieferung {order} ist beschädigt angekommen.",
        "Wo bleibt meine Rückerstattung für {order}?",
    ],
    "en": [
        "The device is broken, I want a refund.",
        "My parcel {order} arrived damaged.",
        "Still waiting for the refund on {order}.",
    ],
}
REPLIES = {
    "de": "Das tut uns leid! Wir kümmern uns sofort um {order}.",
    "en": "We are sorry! We are looking into {order} right away.",
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


# Complaints as a contact centre sees them on a normal day: some came in today
# and are open, a few are a day or two old, most were answered and resolved long
# ago, mostly within their SLA. The shares are the demo's, not a benchmark's.
COMPLAINT_SHARE = 0.3  # of customers with at least two interactions
AGENTS = ("agent.mueller", "agent.smith", "agent.yilmaz")


@dataclass(frozen=True)
class DemoCase:
    """A complaint the demo's agents settle after the intake opened its case."""

    complaint_id: UUID
    resolved_at: datetime
    agent: str


@dataclass(frozen=True)
class CustomerHistory:
    events: list[Event]
    interactions: int
    cases: list[DemoCase]
    # Every complaint of the customer's, open or resolved (for its product).
    complaints: list[DemoComplaint] = field(default_factory=list)


@dataclass(frozen=True)
class ComplaintPlan:
    """When a complaint came in, when an agent answered, when it was resolved
    (None: not yet, as of now)."""

    at: datetime
    replied_at: datetime | None
    resolved_at: datetime | None


def plan_complaint(rng: random.Random, now: datetime) -> ComplaintPlan:
    """Wall-clock delays chosen against the default SLA targets (normal priority:
    4 business hours to answer, 16 to resolve): a wall-clock delay is never
    shorter than the business time in it, so 3 hours to answer and a day to
    resolve are on time; 4 days or more hold more than 16 business hours unless
    holidays fill them, so those are late."""
    kind = rng.random()
    if kind < 0.2:  # came in today: open, well within its SLA
        at = now - timedelta(minutes=rng.uniform(5, 8 * 60))
    elif kind < 0.3:  # a day or two old
        at = now - timedelta(hours=rng.uniform(8, 72))
    else:
        at = now - timedelta(days=rng.uniform(3, 365))
    on_time_reply = rng.random() < 0.9
    reply = (
        timedelta(minutes=rng.uniform(5, 180))
        if on_time_reply
        else timedelta(days=rng.uniform(4, 8))
    )
    replied_at = at + reply if at + reply < now else None
    settled = rng.random()
    if replied_at is None or (kind >= 0.3 and settled < 0.04):  # not yet, or forgotten
        return ComplaintPlan(at, replied_at, None)
    work = (
        timedelta(hours=rng.uniform(1, 20))
        if settled < 0.85
        else timedelta(days=rng.uniform(4, 12))
    )
    resolved_at = replied_at + work
    return ComplaintPlan(at, replied_at, resolved_at if resolved_at < now else None)


class _CustomerWriter:
    """Builds one customer's events in time order, as the recorder would decide them."""

    def __init__(self, rng: random.Random, number: str, key: str, name: str, language: str) -> None:
        self.rng = rng
        self.number = number
        self.key = key
        self.name = name
        self.language = language
        self.events: list[Event] = []
        self.customer_id: UUID | None = None

    def received(self, at: datetime, text: str) -> SmsReceived:
        sid = f"SM{self.rng.getrandbits(128):032x}"
        message = SmsReceived(
            event_id=provider_event_id("twilio", "message", sid),
            originator_id=provider_event_id("twilio", "message", sid),
            occurred_at=at,
            provider_message_id=sid,
            from_address=self.number,
            to_address=OUR_NUMBER,
            address_key=self.key,
            body=text,
        )
        plan = plan_inbound(message, claimed_by=self.customer_id, already_recorded=False, now=at)
        assert plan is not None
        self.customer_id = plan.customer_id
        self.events.extend(
            e.model_copy(update={"display_name": self.name, "language": self.language})
            if isinstance(e, CustomerRegistered)
            else e
            for e in plan.events
        )
        return message

    def sent(self, at: datetime, text: str, agent: str) -> None:
        assert self.customer_id is not None  # every history starts with the customer writing
        sid = f"SM{self.rng.getrandbits(128):032x}"
        self.events += _outbound_sms(self.customer_id, self.number, sid, at, text, agent, self.rng)


def generate(
    *, customers: int, interactions: int, secret: bytes, seed: int, now: datetime
) -> Iterator[CustomerHistory]:
    """Yields each customer's history (first contact, then the rest), oldest first.

    Every history ends by now. A complaining customer's history ends with the
    complaint and the agent's answer: no later message of theirs joins or
    reopens the case, so its SLA is the one planned here."""
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
        writer = _CustomerWriter(rng, number, address_key(secret, "sms", number), name, language)
        count = per_customer[index]
        complaint = (
            plan_complaint(rng, now) if count >= 2 and rng.random() < COMPLAINT_SHARE else None
        )
        # The complaint (and its answer, if given) take the history's last places.
        ordinary = count
        if complaint is not None:
            ordinary -= 2 if complaint.replied_at is not None else 1
        end = complaint.at if complaint is not None else now
        start = end - timedelta(days=rng.uniform(30, 730))
        times = sorted(start + (end - start) * rng.random() for _ in range(ordinary))
        if times:
            times[0] = start
        for n, at in enumerate(times):
            order = f"A-{rng.randrange(100000, 999999)}"
            if n == 0 or rng.random() < 0.55:
                writer.received(at, rng.choice(INBOUND[language]).format(order=order))
            else:
                text = rng.choice(OUTBOUND[language]).format(order=order)
                writer.sent(at, text, rng.choice(AGENTS))
        cases: list[DemoCase] = []
        complained: list[DemoComplaint] = []
        if complaint is not None:
            order = f"A-{rng.randrange(100000, 999999)}"
            text = rng.choice(COMPLAINTS[language]).format(order=order)
            message = writer.received(complaint.at, text)
            assert writer.customer_id is not None
            complained.append(
                DemoComplaint(complaint_id_for(message.event_id), writer.customer_id, complaint.at)
            )
            agent = rng.choice(AGENTS)
            if complaint.replied_at is not None:
                writer.sent(complaint.replied_at, REPLIES[language].format(order=order), agent)
            if complaint.resolved_at is not None:
                case_id = complaint_id_for(message.event_id)
                cases.append(DemoCase(case_id, complaint.resolved_at, agent))
        events = writer.events
        written = sum(1 for e in events if isinstance(e, SmsReceived | SmsSent))
        yield CustomerHistory(events, written, cases, complained)


def _outbound_sms(
    customer_id: UUID,
    number: str,
    sid: str,
    at: datetime,
    text: str,
    agent: str,
    rng: random.Random,
) -> list[Event]:
    """An agent's SMS and Twilio's reports on it (queued, sent, then mostly delivered)."""
    interaction_id = provider_event_id("demo", "outbound", sid)
    events: list[Event] = [
        SmsSent(
            event_id=interaction_id,
            originator_id=interaction_id,
            customer_id=customer_id,
            occurred_at=at,
            recorded_at=at,
            to_address=number,
            from_address=OUR_NUMBER,
            body=text,
            sent_by=agent,
        )
    ]
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
    return events


@dataclass(frozen=True)
class DemoLoad:
    interactions: int
    cases: list[DemoCase]
    customer_ids: list[UUID]  # in the sample's order, for its orders (services/app/demo_orders.py)
    complaints: list[DemoComplaint] = field(default_factory=list)


def demo_loaded(
    store: EventStore, *, secret: bytes, customers: int, interactions: int, seed: int
) -> bool:
    """Whether this sample is in the store: its first customer is (their id
    derives from their number alone, whatever the clock says now)."""
    first = next(
        generate(
            customers=customers, interactions=interactions, secret=secret, seed=seed, now=_now()
        )
    )
    return store.exists(first.events[0].originator_id)


def _now() -> datetime:
    return datetime.now(UTC)


def load_demo(
    store: EventStore,
    *,
    secret: bytes,
    customers: int = 1000,
    interactions: int = 20000,
    seed: int = 42,
    progress: Callable[[int], None] = lambda n: None,
    batch_size: int = 1000,
    now: datetime | None = None,
) -> DemoLoad:
    """Appends the sample data, a history up to now; returns what was written and
    the cases the demo's agents resolve once the intake has opened them."""
    if interactions < customers:
        raise ValueError("need at least one interaction per customer")
    batch: list[Event] = []
    written = 0
    cases: list[DemoCase] = []
    complained: list[DemoComplaint] = []
    customer_ids: list[UUID] = []
    for history in generate(
        customers=customers, interactions=interactions, secret=secret, seed=seed, now=now or _now()
    ):
        batch += history.events
        cases += history.cases
        complained += history.complaints
        customer_ids += [e.customer_id for e in history.events[:1] if e.customer_id]
        written += history.interactions
        progress(history.interactions)
        if len(batch) >= batch_size:
            _append(store, batch)
            batch = []
    if batch:
        _append(store, batch)
    return DemoLoad(written, cases, customer_ids, complained)


def resolve_demo_cases(desk: ComplaintDesk, cases: list[DemoCase]) -> int:
    """The demo's agents resolve the cases the intake opened, at the planned times
    (through the desk, as an agent would: the SLA events due by then come along).
    Returns how many were resolved; a case the configured rules did not open is skipped."""
    resolved = 0
    for case in cases:
        if desk.case(case.complaint_id) is None:
            continue
        stamp = Stamp(
            event_id=provider_event_id("demo", "resolve", str(case.complaint_id)),
            occurred_at=case.resolved_at,
            recorded_at=_now(),
        )
        try:
            desk.decide(case.complaint_id, _resolved_by(case.agent), stamp=stamp)
        except IllegalTransition:
            continue  # resolved already (a second run)
        resolved += 1
    return resolved


def _resolved_by(agent: str) -> Callable[[ComplaintState | None, Stamp], list[Event]]:
    def decision(state: ComplaintState | None, stamp: Stamp) -> list[Event]:
        return complaints.resolve(state, stamp, resolution="Erledigt / resolved", by=agent)

    return decision


def _append(store: EventStore, batch: list[Event]) -> None:
    # The batch's new customers' keys in two queries, not one transaction each.
    store.keys.prepare(e.customer_id for e in batch if e.customer_id is not None)
    store.append(batch)
