"""Postal letters as commands: the customer's postal address, letters out, scans in.

Setting a postal address also links and claims it as the customer's `letter`
address (name and address, normalised), so a scanned letter from that sender
finds this customer. A letter out is rendered first, recorded as `LetterSent`,
then handed to the print-and-mail provider (a configuration of the outbound
pipeline); the hand-over and the provider's later reports are
`LetterStatusChanged`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

import anyio.to_thread

from adapters.post.provider import PrintMailProvider
from adapters.post.render import LetterContent, RenderedLetter, render_letter
from adapters.post.translate import letter_address_key, letter_status_event, one_line
from domain import letters
from domain.erasure import ERASED_REFUSAL, claim_event_id, claim_of, is_erased
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
from services.app.outbound.channel_parts import TokenInteractionId, interaction_state
from services.app.outbound.pipeline import (
    Delivery,
    Intent,
    InteractionState,
    Outbound,
    Planned,
    SendOutcome,
)
from services.infra.blobs import BlobStore
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
class LetterRequest:
    subject: str
    body: str


@dataclass(frozen=True)
class PlannedLetter(Planned):
    rendered: RenderedLetter
    recipient_lines: tuple[str, ...]


@dataclass(frozen=True)
class LetterChannel(TokenInteractionId):
    """Letters out as the pipeline sends them: rendered, recorded, then handed over."""

    provider: PrintMailProvider
    blobs: BlobStore
    sender_line: str
    signature: str
    clock: Callable[[], datetime]
    channel: str = "letter"
    namespace: str = "letter"

    def unconfigured(self) -> str | None:
        return None  # the outbox provider needs no settings

    def fold(self, stream: list[Event]) -> InteractionState | None:
        return interaction_state(letters.fold, stream, lambda state: state.provider_reference)

    def plan(self, intent: Intent, request: LetterRequest) -> PlannedLetter:
        address = letters.current_postal_address(intent.history)
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
                subject=request.subject,
                body=request.body,
                signature=self.signature,
                dated=intent.now.date(),
            )
        )
        sent = LetterSent(
            event_id=intent.interaction_id,
            originator_id=intent.interaction_id,
            customer_id=intent.customer_id,
            occurred_at=intent.now,
            recorded_at=intent.now,
            provider=self.provider.name,
            recipient_lines=lines,
            subject=request.subject,
            body=request.body,
            template="letter.txt.j2",
            document_sha256=rendered.sha256,
            pages=rendered.pages,
            sent_by=intent.agent,
            consent_id=intent.consent_id,
        )
        return PlannedLetter([sent], rendered, lines)

    async def deliver(self, planned: PlannedLetter, request: LetterRequest) -> Delivery:
        interaction_id = planned.events[0].originator_id
        # The hub keeps the PDF it sent (the timeline shows it; erasure deletes
        # it with the customer's other blobs), whatever the provider keeps.
        await anyio.to_thread.run_sync(self.blobs.put, planned.rendered.pdf)
        try:
            submission = await anyio.to_thread.run_sync(
                self.provider.submit, interaction_id, planned.rendered.pdf, planned.recipient_lines
            )
        except OSError as exc:
            error = f"the print-and-mail provider did not take the letter: {exc}"
            event = letter_status_event(
                interaction_id, "failed", reference=None, reason=error, at=self.clock()
            )
            return Delivery(event, None, error)
        reference = submission.reference
        event = letter_status_event(
            interaction_id, submission.status, reference=reference, reason=None, at=self.clock()
        )
        return Delivery(event, reference, None)


class Letters:
    def __init__(
        self,
        store: EventStore,
        recorder: Recorder,
        outbound: Outbound,
        provider: PrintMailProvider,
        blobs: BlobStore,
        *,
        address_secret: bytes,
        sender_line: str,
        signature: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.outbound = outbound
        self.post = LetterChannel(provider, blobs, sender_line, signature, clock)
        self.address_secret = address_secret
        self.clock = clock

    def set_postal_address(
        self, customer_id: UUID, address: PostalAddressInput, *, agent: str
    ) -> int:
        """Records the address on the customer stream; returns the last notification id."""
        history = self.store.stream(customer_id)
        if not history:
            raise CustomerNotFound(str(customer_id))
        if is_erased(history):
            raise CommandRefused(ERASED_REFUSAL)
        key = letter_address_key(
            self.address_secret,
            address.name,
            address.street,
            address.postal_code,
            address.city,
            address.country,
        )
        claim = claim_of(self.store.stream(address_claim_id(key)))
        owner = claim.owner
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
                    event_id=claim_event_id(key, claim.next_version),
                    originator_id=address_claim_id(key),
                    originator_version=claim.next_version,
                    channel="letter",
                    address_key=key,
                    **common,
                ),
            ]
        return self.recorder.append(events).notification_ids[-1]

    async def send(
        self,
        customer_id: UUID,
        *,
        subject: str,
        body: str,
        agent: str,
        idempotency_key: str | None = None,
    ) -> SendOutcome:
        return await self.outbound.send(
            self.post,
            customer_id,
            LetterRequest(subject, body),
            agent=agent,
            idempotency_key=idempotency_key,
        )
