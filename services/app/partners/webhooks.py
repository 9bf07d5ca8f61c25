"""Partner webhooks: follow the notification log, queue each event a partner's
subscription wants and that concerns what is shared with the partner, and
deliver the queue signed, in order, with bounded retries and dead letters.

One Follower does both steps each round. Queueing writes the deliveries and the
log position in one transaction (services/infra/partner_deliveries.py), so a
restart resumes exactly. Delivering takes each subscription's oldest pending
delivery only, so a partner sees its events in the store's order; a failure
waits for its backoff (domain/partner_access.py, RetryPolicy) and holds back
the ones behind it, until the attempts run out and it becomes a dead letter
that an admin may replay. At least once: a crash after the partner answered
and before the row was marked sends it again, with the same
`X-Contacthub-Delivery` id, which receivers deduplicate by.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Protocol

import orjson

from domain import complaints
from domain.partner_access import RetryPolicy, case_audience, sees_appointment
from domain.webhook_signature import signature
from events import AppointmentScheduled, ComplaintOpened, Event
from services.infra.eventstore import EventStore
from services.infra.follower import Follower
from services.infra.partner_deliveries import Delivery, DeliveryOutbox, Queued
from services.infra.partners import PartnerDirectory, Webhook
from services.infra.webhook_sender import DeliveryFailed

NAME = "partner-webhooks"
BATCH = 500


class Sender(Protocol):
    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> None: ...


class PartnerWebhooks:
    def __init__(
        self,
        store: EventStore,
        directory: PartnerDirectory,
        outbox: DeliveryOutbox,
        sender: Sender,
        retry: RetryPolicy,
        *,
        clock: Callable[[], datetime],
        poll_interval: float,
    ) -> None:
        self.store = store
        self.directory = directory
        self.outbox = outbox
        self.sender = sender
        self.retry = retry
        self.clock = clock
        self.follower = Follower(NAME, self.round, poll_interval=poll_interval)

    def start(self) -> None:
        self.follower.start()

    def stop(self) -> None:
        self.follower.stop()

    def wake(self) -> None:
        self.follower.wake()

    def round(self, stop: threading.Event) -> None:
        while not stop.is_set() and self.queue_next():
            pass
        self.deliver_due(stop)

    # Queueing ----------------------------------------------------------------

    def queue_next(self) -> bool:
        """Queues the deliveries of the next batch of the log; False at its end."""
        position = self.outbox.position(NAME)
        last = self.store.max_notification_id()
        webhooks = self.directory.webhooks()
        if not webhooks:
            # No subscriber: skip ahead without reading the log (a whole store's
            # history at first start). A subscription made after `last` was
            # read sees every event after it; it starts from where it was made.
            if last > position:
                self.outbox.enqueue(NAME, last, [], self.clock())
            return False
        batch = self.store.notifications(position, BATCH)
        if not batch:
            return False
        wanted = {t for w in webhooks for t in w.event_types}
        relevant = [(n, e) for n, e in batch if e.type in wanted]
        streams = self.store.streams({e.originator_id for _, e in relevant}) if relevant else {}
        sites = {p.name: p.sites for p in self.directory.all()} if relevant else {}
        queued = [
            Queued(w.id, w.partner, n, e.event_id, e.type, e.originator_id, e.originator_version)
            for n, e in relevant
            for w in _subscribers(
                webhooks, e, _audience(e, streams.get(e.originator_id, []), sites)
            )
        ]
        self.outbox.enqueue(NAME, batch[-1][0], queued, self.clock())
        return True

    # Delivering ----------------------------------------------------------------

    def deliver_due(self, stop: threading.Event) -> None:
        """Delivers every subscription's head while it is due (one after another, so
        a delivered head lets the next one through in the same round)."""
        webhooks = {w.id: w for w in self.directory.webhooks()}
        while not stop.is_set():
            now = self.clock()
            due = [d for d in self.outbox.heads() if d.next_attempt_at <= now]
            if not due:
                return
            attempted = False
            for delivery in due:
                if stop.is_set():
                    return
                webhook = webhooks.get(delivery.webhook_id)
                if webhook is not None:
                    self.attempt(webhook, delivery)
                    attempted = True
            if not attempted:
                return  # only subscriptions newer than this round: the next one has them

    def attempt(self, webhook: Webhook, delivery: Delivery) -> None:
        body = self.body(delivery)
        now = self.clock()
        timestamp = int(now.timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "contacthub-webhooks/1",
            "X-Contacthub-Delivery": str(delivery.id),
            "X-Contacthub-Event-Type": delivery.event_type,
            "X-Contacthub-Timestamp": str(timestamp),
            "X-Contacthub-Signature": signature(webhook.secret, timestamp, body),
        }
        try:
            self.sender.post(webhook.url, body, headers)
        except DeliveryFailed as exc:
            attempts = delivery.attempts + 1
            retry_at = (
                None
                if self.retry.gives_up(attempts)
                else now + timedelta(seconds=self.retry.delay(attempts))
            )
            self.outbox.failed(delivery, str(exc), retry_at=retry_at)
            return
        self.outbox.delivered(delivery, self.clock())

    def body(self, delivery: Delivery) -> bytes:
        """The event as the store has it now (an erased customer's data reads erased)."""
        stream = self.store.stream(delivery.originator_id)
        found = [e for e in stream if e.originator_version == delivery.originator_version]
        event = found[0].model_dump(mode="json") if found else None
        return orjson.dumps(
            {
                "delivery_id": str(delivery.id),
                "partner": delivery.partner,
                "event_type": delivery.event_type,
                "event": event,
            },
            option=orjson.OPT_SORT_KEYS,
        )


def _audience(
    event: Event, stream: list[Event], sites: Mapping[str, tuple[str, ...]]
) -> frozenset[str]:
    """The partners an event concerns: those its case is shared with (before or
    after it), or those at whose site its appointment is."""
    if not stream:
        return frozenset()
    first = stream[0]
    if isinstance(first, ComplaintOpened):
        earlier = [e for e in stream if e.originator_version < event.originator_version]
        before = complaints.fold(earlier)
        after = complaints.fold([*earlier, event])
        return case_audience(before.partners if before else (), after.partners if after else ())
    if isinstance(first, AppointmentScheduled):
        return frozenset(p for p, s in sites.items() if sees_appointment(s, first.location))
    return frozenset()


def _subscribers(webhooks: list[Webhook], event: Event, audience: frozenset[str]) -> list[Webhook]:
    return [w for w in webhooks if w.partner in audience and event.type in w.event_types]
