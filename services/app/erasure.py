"""Erasing a customer (crypto-shredding) and the retention policy that does it
on a schedule.

Erasing: release the customer's address claims and record `CustomerErased`
(`domain.erasure.plan_erasure`), delete the blobs and outbox files their
interactions hold (raw emails, attachments, scans, letter PDFs), destroy the
customer's key (every personal field of their events now reads as erased, in
the store and in any replay), then compact the databases so that no freed
page keeps a byte of it. The read models drop their derived personal data
when they project `CustomerErased` (`SqlView.forget`); the publisher carries
the event to the Kafka events topic, for downstream consumers to do the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.erasure import RetentionPolicy, due_for_retention, is_erased, plan_erasure
from events import ChannelAddressLinked, CustomerErased, Event, address_claim_id
from services.app.errors import CommandRefused, CustomerNotFound
from services.app.intake.recorder import Recorder
from services.infra.blobs import BlobStore
from services.infra.eventstore import EventStore

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
RETENTION_REASON = "retention policy"

# The interactions of a customer, as a read model lists them.
InteractionsOf = Callable[[UUID], list[UUID]]
# (customer id, created at, last contact at or None) of customers with no
# contact since the instant.
InactiveSince = Callable[[datetime], list[tuple[UUID, datetime, datetime | None]]]


@dataclass(frozen=True)
class ErasureReport:
    customer_id: UUID
    # False: the customer had been erased before, nothing changed now.
    erased: bool
    erased_at: datetime | None
    addresses_released: int = 0
    blobs_deleted: int = 0
    files_deleted: int = 0
    # The last event the erasure appended (0 if none): the views wait for it.
    notification_id: int = 0


class Erasure:
    def __init__(
        self,
        store: EventStore,
        recorder: Recorder,
        blobs: BlobStore,
        *,
        interactions_of: InteractionsOf,
        outbox: Path,
        compact: Callable[[], None],
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.blobs = blobs
        self.interactions_of = interactions_of
        self.outbox = outbox
        self.compact = compact
        self.clock = clock

    def erase(
        self, customer_id: UUID, *, reason: str, erased_by: str, compact: bool = True
    ) -> ErasureReport:
        """Erases the customer; `compact=False` leaves compacting the store to
        the caller (a retention run compacts once, after all its erasures)."""
        if not reason.strip():
            raise CommandRefused("an erasure needs a reason")
        history = self.store.stream(customer_id)
        if not history:
            raise CustomerNotFound(str(customer_id))
        keys = self.store.keys
        if is_erased(history) and keys.is_destroyed(customer_id):
            erased = next(e for e in history if isinstance(e, CustomerErased))
            return ErasureReport(customer_id, erased=False, erased_at=erased.occurred_at)
        # Each step can be repeated: a retry after a crash finds the erasure
        # recorded and the key still there, and completes the rest. The blobs
        # are found while the key lives (attachments are personal fields).
        streams = self.store.streams(self._interaction_ids(customer_id))
        held = sorted({sha for stream in streams.values() for sha in _blob_hashes(stream)})
        decided = [] if is_erased(history) else self._record(customer_id, reason.strip(), erased_by)
        blobs_deleted = sum(1 for sha in held if self.blobs.delete(sha))
        files_deleted = self._delete_outbox_files(streams)
        now = self.clock()
        keys.destroy(customer_id, now.isoformat())
        if compact:
            self.compact()
        releases = max(len(decided) - 1, 0)
        log.info("erased customer %s (%d addresses released)", customer_id, releases)
        return ErasureReport(
            customer_id,
            erased=True,
            erased_at=decided[-1].occurred_at if decided else now,
            addresses_released=releases,
            blobs_deleted=blobs_deleted,
            files_deleted=files_deleted,
            notification_id=self.store.max_notification_id(),
        )

    def _record(self, customer_id: UUID, reason: str, erased_by: str) -> list[Event]:
        for _ in range(MAX_ATTEMPTS):
            history = self.store.stream(customer_id)
            claims = self.store.streams(
                address_claim_id(e.address_key)
                for e in history
                if isinstance(e, ChannelAddressLinked)
            )
            decided = plan_erasure(
                customer_id, history, claims, reason=reason, erased_by=erased_by, now=self.clock()
            )
            try:
                self.recorder.append(decided)
            except IntegrityError:
                continue  # a contact came in meanwhile: decide again on the fresh streams
            return decided
        raise CommandRefused("the customer kept changing during the erasure; try again")

    def _interaction_ids(self, customer_id: UUID) -> list[UUID]:
        # The customer stream names few interactions itself; the timeline all.
        return list(dict.fromkeys([*self.interactions_of(customer_id), customer_id]))

    def _delete_outbox_files(self, streams: dict[UUID, list[Event]]) -> int:
        # The embedded print-and-mail provider's copies: <letter id>.pdf / .json.
        deleted = 0
        for interaction_id in streams:
            for suffix in (".pdf", ".json"):
                path = self.outbox / f"{interaction_id}{suffix}"
                if path.exists():
                    path.unlink()
                    deleted += 1
        return deleted


def _blob_hashes(stream: Iterable[Event]) -> Iterator[str]:
    """Every blob an interaction's events name: fields called `sha256` or ending
    in `_sha256` (raw messages, attachments, scans, letter PDFs)."""
    for event in stream:
        yield from _hashes_in(event.model_dump(mode="json"))


def _hashes_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for name, item in value.items():
            if (name == "sha256" or name.endswith("_sha256")) and _is_hex_digest(item):
                yield item
            else:
                yield from _hashes_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _hashes_in(item)


def _is_hex_digest(value: object) -> bool:
    return (
        isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    )


@dataclass(frozen=True)
class RetentionRun:
    """What a retention run erased (or, dry, would erase)."""

    dry_run: bool
    cutoff: datetime
    customers: list[UUID] = field(default_factory=list)


class Retention:
    """The retention policy: erases the customers with no contact since the cutoff."""

    def __init__(
        self,
        erasure: Erasure,
        policy: RetentionPolicy,
        inactive_since: InactiveSince,
        clock: Callable[[], datetime],
    ) -> None:
        self.erasure = erasure
        self.policy = policy
        self.inactive_since = inactive_since
        self.clock = clock

    def run(self, *, dry_run: bool = False) -> RetentionRun:
        now = self.clock()
        cutoff = self.policy.cutoff(now)
        candidates = [
            customer
            for customer, created, last in self.inactive_since(cutoff)
            if due_for_retention(last, created, self.policy, now)
        ]
        histories = self.erasure.store.streams(candidates)
        due = [c for c in candidates if c in histories and not is_erased(histories[c])]
        if not dry_run and due:
            for customer in due:
                self.erasure.erase(
                    customer, reason=RETENTION_REASON, erased_by="retention", compact=False
                )
            self.erasure.compact()
        return RetentionRun(dry_run, cutoff, due)
