"""Postal letters as commands: the customer's postal address, letters out, scans in.

Setting a postal address also links and claims it as the customer's `letter`
address (name and address, normalised), so a scanned letter from that sender
finds this customer. A letter out is rendered first, recorded as `LetterSent`,
then handed to the print-and-mail provider; the hand-over and the provider's
later reports are `LetterStatusChanged`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from adapters.post.provider import PrintMailProvider
from adapters.post.render import LetterContent, render_letter
from adapters.post.translate import letter_address_key, letter_status_event, one_line
from domain import letters
from domain.consent import ContactRefused, check_contact
from events import (
    AddressClaimed,
    ChannelAddressLinked,
    Event,
    LetterSent,
    PostalAddressSet,
    address_claim_id,
    provider_event_id,
)
from services.app.errors import CommandRefused, CustomerNotFound
from services.app.intake.recorder import Recorder
from services.infra.eventstore import EventStore


@dataclass(frozen=True)
class PostalAddressInput:
    name: str
    street: str
    postal_code: str
    city: str
    extra: str = ""
    country: str = "DE"


@dataclass(frozen=True)
class LetterOutcome:
    interaction_id: UUID
    status: str
    provider_reference: str | None
    error: str | None
    notification_id: int


class Letters:
    def __init__(
        self,
        store: EventStore,
        recorder: Recorder,
        provider: PrintMailProvider,
        *,
        address_secret: bytes,
        sender_line: str,
        signature: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.provider = provider
        self.address_secret = address_secret
        self.sender_line = sender_line
        self.signature = signature
        self.clock = clock

    def set_postal_address(
        self, customer_id: UUID, address: PostalAddressInput, *, agent: str
    ) -> int:
        """Records the address on the customer stream; returns the last notification id."""
        history = self.store.stream(customer_id)
        if not history:
            raise CustomerNotFound(str(customer_id))
        key = letter_address_key(
            self.address_secret,
            address.name,
            address.street,
            address.postal_code,
            address.city,
            address.country,
        )
        owner = self._owner_of(key)
        if owner is not None and owner != customer_id:
            raise CommandRefused(f"this name and postal address belong to customer {owner}")
        now = self.clock()
        version = history[-1].originator_version
        common = {"customer_id": customer_id, "occurred_at": now, "recorded_at": now}
        events: list[Event] = [
            PostalAddressSet(
                event_id=uuid4(),
                originator_id=customer_id,
                originator_version=version + 1,
                name=address.name,
                street=address.street,
                extra=address.extra,
                postal_code=address.postal_code,
                city=address.city,
                country=address.country.upper(),
                set_by=agent,
                **common,
            )
        ]
        if owner is None:
            events += [
                ChannelAddressLinked(
                    event_id=provider_event_id("contacthub", "link", str(customer_id), key),
                    originator_id=customer_id,
                    originator_version=version + 2,
                    channel="letter",
                    address=one_line(
                        address.street,
                        address.extra,
                        address.postal_code,
                        address.city,
                        address.country,
                    ),
                    address_key=key,
                    **common,
                ),
                AddressClaimed(
                    event_id=provider_event_id("contacthub", "claim", key),
                    originator_id=address_claim_id(key),
                    channel="letter",
                    address_key=key,
                    **common,
                ),
            ]
        return self.recorder.append(events).notification_ids[-1]

    def send(
        self,
        customer_id: UUID,
        *,
        subject: str,
        body: str,
        agent: str,
        idempotency_key: str | None = None,
    ) -> LetterOutcome:
        history = self.store.stream(customer_id)
        if not history:
            raise CustomerNotFound(str(customer_id))
        interaction_id = (
            provider_event_id("contacthub", "letter", str(customer_id), idempotency_key)
            if idempotency_key
            else uuid4()
        )
        existing = letters.fold(self.store.stream(interaction_id))
        if existing is not None:
            return LetterOutcome(
                interaction_id,
                existing.status.value,
                existing.provider_reference,
                None,
                self.store.max_notification_id(),
            )
        now = self.clock()
        try:
            check_contact(history, "letter", now, None)
        except ContactRefused as exc:
            raise CommandRefused(str(exc)) from exc
        address = letters.current_postal_address(history)
        if address is None:
            raise CommandRefused(
                "the customer has no postal address: PUT /api/v1/customers/{id}/postal-address"
            )
        lines = letters.window_lines(
            address.name,
            address.street,
            address.extra,
            address.postal_code,
            address.city,
            address.country,
        )
        rendered = render_letter(
            LetterContent(
                sender_line=self.sender_line,
                recipient_lines=lines,
                recipient_name=address.name,
                subject=subject,
                body=body,
                signature=self.signature,
                dated=now.date(),
            )
        )
        intent = LetterSent(
            event_id=interaction_id,
            originator_id=interaction_id,
            customer_id=customer_id,
            occurred_at=now,
            recorded_at=now,
            provider=self.provider.name,
            recipient_lines=lines,
            subject=subject,
            body=body,
            template="letter.txt.j2",
            document_sha256=rendered.sha256,
            pages=rendered.pages,
            sent_by=agent,
        )
        last = self.recorder.append([intent]).notification_ids[-1]
        error = reference = None
        try:
            submission = self.provider.submit(interaction_id, rendered.pdf, lines)
        except OSError as exc:
            error = f"the print-and-mail provider did not take the letter: {exc}"
            result = letter_status_event(
                interaction_id, "failed", reference=None, reason=error, at=self.clock()
            )
        else:
            reference = submission.reference
            result = letter_status_event(
                interaction_id, submission.status, reference=reference, reason=None, at=self.clock()
            )
        recorded = self.recorder.record(result)
        state = letters.fold(self.store.stream(interaction_id))
        assert state is not None
        return LetterOutcome(
            interaction_id,
            state.status.value,
            reference,
            error,
            max((last, *recorded.notification_ids)),
        )

    def _owner_of(self, key: str) -> UUID | None:
        for event in self.store.stream(address_claim_id(key)):
            if isinstance(event, AddressClaimed):
                return event.customer_id
        return None
