"""The email gateway's one job, shared by the SMTP receiver and the Mailgun
webhook: translate, store the raw message, publish, and report.

It returns only once the message (and its raw bytes) are durable; if either
cannot be stored it raises BusUnavailable, which the callers answer with SMTP
451 or HTTP 503 so the sender retries. A DSN for an email we sent becomes a
delivery event on that email; a report about a message we do not know is
recorded as an ordinary inbound email, so nothing acknowledged is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from uuid import UUID

import anyio.to_thread

from adapters.email import mime
from adapters.email.dsn import DeliveryReport, delivery_event, delivery_report
from adapters.email.translate import (
    inbound_email_event,
    mailgun_form_blob,
    mailgun_form_event,
)
from domain.emails import UnknownEmail
from events import EmailReceived, Event
from events.email import EmailProvider
from services.infra.blobs import BlobStore
from services.infra.bus import BusUnavailable, IntakeBus


@dataclass(frozen=True)
class Accepted:
    kind: str  # "email" or "delivery-report"
    interaction_id: UUID
    # What the sender may be told: the new email's interaction, or the recorded
    # report's own event (not the id of the email it reports on, which belongs
    # to a customer the reporter need not be).
    reference: UUID


class EmailGateway:
    def __init__(
        self,
        bus: IntakeBus,
        blobs: BlobStore,
        *,
        address_secret: bytes,
        clock: Callable[[], datetime],
    ) -> None:
        self.bus = bus
        self.blobs = blobs
        self.address_secret = address_secret
        self.clock = clock

    async def receive_raw(
        self,
        raw: bytes,
        *,
        provider: EmailProvider,
        envelope_from: str | None = None,
        envelope_to: Sequence[str] = (),
    ) -> Accepted:
        """Records a raw MIME message. Raises MalformedEmail or BusUnavailable."""
        now = self.clock()

        def as_event(message: EmailMessage) -> EmailReceived:
            return inbound_email_event(
                raw,
                provider=provider,
                received_at=now,
                address_secret=self.address_secret,
                envelope_from=envelope_from,
                envelope_to=envelope_to,
                message=message,
            )

        def read() -> tuple[EmailMessage, DeliveryReport | None, EmailReceived | None]:
            # Parsed once, here: the report check and the event both read this
            # message. A delivery report becomes an email event only if it turns
            # out not to be about one of ours (below).
            message = mime.parse(raw)
            report = delivery_report(message)
            return message, report, as_event(message) if report is None else None

        # Parsing a large message takes a while: keep it off the event loop.
        message, report, event = await anyio.to_thread.run_sync(read)
        if report is not None:
            change = delivery_event(report, received_at=now)
            try:
                await self._store_blob(raw)
                await self.bus.publish(change)
                return Accepted("delivery-report", change.originator_id, change.event_id)
            except UnknownEmail:
                pass  # not about an email of ours: keep it as a message
        if event is None:
            event = await anyio.to_thread.run_sync(as_event, message)
        await self._store_blob(raw)
        await self._publish(event)
        return Accepted("email", event.originator_id, event.originator_id)

    async def receive_mailgun_form(
        self, fields: Mapping[str, str], files: Sequence[tuple[str, str, bytes]]
    ) -> Accepted:
        event: EmailReceived = mailgun_form_event(
            fields, files, received_at=self.clock(), address_secret=self.address_secret
        )
        await self._store_blob(mailgun_form_blob(fields))
        for _, _, data in files:
            await self._store_blob(data)
        await self._publish(event)
        return Accepted("email", event.originator_id, event.originator_id)

    async def _store_blob(self, data: bytes) -> None:
        try:
            await anyio.to_thread.run_sync(self.blobs.put, data)
        except Exception as exc:  # disk full, database down: the sender must retry
            raise BusUnavailable(f"cannot store the raw message: {exc}") from exc

    async def _publish(self, event: Event) -> None:
        await self.bus.publish(event)
