"""Outbound email: a configuration of the outbound pipeline. Later DSNs move
the interaction on (accepted -> bounced).

The intent (`EmailSent`, with its Message-ID) is recorded before the relay is
called, so a bounce can never arrive for an email the store does not know. A
reply carries In-Reply-To and References built from the email it answers, and
joins that email's conversation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol
from uuid import UUID

from adapters.email import mime
from adapters.email.sender import EmailSendFailed, RelayAccepted
from adapters.email.translate import (
    attachment_from_upload,
    outbound_mime,
    reply_headers,
    reply_subject,
)
from domain import emails
from domain.addresses import normalise_email
from domain.email_intake import new_conversation_id, plan_outbound_email
from domain.email_threads import normalise_subject, subject_key
from events import (
    ChannelAddressLinked,
    EmailDeliveryChanged,
    EmailSent,
    EmailStatus,
    Event,
    email_interaction_id,
    email_subject_stream_id,
    provider_event_id,
)
from services.app.errors import CommandRefused
from services.app.outbound.channel_parts import interaction_state
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


class EmailSender(Protocol):
    async def send(
        self, message: EmailMessage, *, sender: str, recipients: Sequence[str]
    ) -> RelayAccepted: ...


@dataclass(frozen=True)
class EmailDraft:
    subject: str | None
    text: str
    html: str
    to: str | None = None
    reply_to: UUID | None = None
    attachments: Sequence[tuple[str, str, bytes]] = ()


@dataclass(frozen=True)
class PlannedEmail(Planned):
    sent: EmailSent
    # Attachment contents by SHA-256: the event names them, the relay needs the bytes.
    contents: dict[str, bytes]


@dataclass(frozen=True)
class EmailChannel:
    """Email through the SMTP relay as the pipeline sends it."""

    store: EventStore
    sender: EmailSender | None
    blobs: BlobStore
    from_address: str
    from_name: str
    secret: bytes
    clock: Callable[[], datetime]
    # The customer's signed one-click unsubscribe link; None: no such headers.
    unsubscribe_url: Callable[[UUID], str] | None = None
    channel: str = "email"
    namespace: str = "email-out"

    def unconfigured(self) -> str | None:
        if self.sender is not None and self.from_address:
            return None
        return (
            "email sending is not configured: set CONTACTHUB_SMTP_RELAY_URL "
            "and CONTACTHUB_EMAIL_FROM"
        )

    def message_id(self, token: UUID) -> str:
        return f"{token.hex}@{self.from_address.rpartition('@')[2]}"

    def interaction_id(self, token: UUID) -> UUID:
        return email_interaction_id(self.message_id(token))

    def fold(self, stream: list[Event]) -> InteractionState | None:
        return interaction_state(emails.fold, stream, lambda state: state.message_id)

    def plan(self, intent: Intent, request: EmailDraft) -> PlannedEmail:
        customer_id = intent.customer_id
        message_id = self.message_id(intent.token)
        in_reply_to: tuple[str, ...] = ()
        references: tuple[str, ...] = ()
        conversation = new_conversation_id(message_id)
        started = True
        subject = request.subject
        to = normalise_email(request.to) if request.to else None
        if request.reply_to is not None:
            parent = emails.fold(self.store.stream(request.reply_to))
            if parent is None or parent.customer_id != customer_id:
                raise CommandRefused(f"no email interaction {request.reply_to} of this customer")
            in_reply_to, references = reply_headers(parent.message_id, parent.references)
            conversation = parent.conversation_id or conversation
            started = parent.conversation_id is None
            subject = subject or reply_subject(parent.subject)
            to = to or parent.address
        if not subject:
            raise CommandRefused("an email needs a subject (or `reply_to`)")
        to = to or email_of(intent.history)

        contents = {}
        attachments = []
        for name, content_type, data in request.attachments:
            meta = attachment_from_upload(name, content_type, data)
            self.blobs.put(data)
            contents[meta.sha256] = data
            attachments.append(meta)

        normalised = normalise_subject(subject)
        key = subject_key(self.secret, normalised) if normalised else ""
        sent = EmailSent(
            event_id=intent.interaction_id,
            originator_id=intent.interaction_id,
            customer_id=customer_id,
            occurred_at=intent.now,
            recorded_at=intent.now,
            message_id=message_id,
            in_reply_to=in_reply_to,
            references=references,
            from_address=self.from_address,
            to_address=to,
            subject=subject,
            subject_key=key,
            text=request.text,
            html=mime.sanitise_html(request.html) if request.html else "",
            attachments=tuple(attachments),
            conversation_id=conversation,
            reply_to_interaction=request.reply_to,
            sent_by=intent.agent,
            consent_id=intent.consent_id,
        )
        # The conversation's subject stream: a racing email under the same subject
        # makes the append fail, and the pipeline plans again on a fresh read.
        stream = self.store.stream(email_subject_stream_id(customer_id, key)) if key else []
        events = plan_outbound_email(sent, subject_stream=stream, started=started, now=intent.now)
        return PlannedEmail(events, sent, contents)

    async def deliver(self, planned: PlannedEmail, request: EmailDraft) -> Delivery:
        sent = planned.sent
        sender = self.sender
        assert sender is not None
        assert sent.customer_id is not None
        link = self.unsubscribe_url(sent.customer_id) if self.unsubscribe_url else None
        message = outbound_mime(
            sent, planned.contents, from_name=self.from_name, unsubscribe_url=link
        )
        try:
            answer = await sender.send(
                message, sender=sent.from_address, recipients=[sent.to_address]
            )
        except EmailSendFailed as exc:
            status = EmailStatus.DEFERRED if exc.transient else EmailStatus.FAILED
            event = self._relay_event(sent, status, exc.code, str(exc))
            return Delivery(event, sent.message_id, str(exc))
        event = self._relay_event(sent, EmailStatus.ACCEPTED, answer.code, answer.message)
        return Delivery(event, sent.message_id, None)

    def _relay_event(
        self, sent: EmailSent, status: EmailStatus, code: int | None, text: str
    ) -> EmailDeliveryChanged:
        return EmailDeliveryChanged(
            event_id=provider_event_id("email", "relay", sent.message_id, status.value),
            originator_id=sent.originator_id,
            occurred_at=self.clock(),
            status=status,
            source="relay",
            smtp_code=code,
            diagnostic=text or None,
        )


class EmailMessaging:
    """Sends emails through the outbound pipeline."""

    def __init__(
        self,
        outbound: Outbound,
        store: EventStore,
        sender: EmailSender | None,
        blobs: BlobStore,
        *,
        from_address: str,
        from_name: str,
        secret: bytes,
        clock: Callable[[], datetime],
        unsubscribe_url: Callable[[UUID], str] | None = None,
    ) -> None:
        self.outbound = outbound
        self.mail = EmailChannel(
            store, sender, blobs, from_address, from_name, secret, clock, unsubscribe_url
        )

    async def send_email(
        self,
        customer_id: UUID,
        draft: EmailDraft,
        *,
        agent: str,
        idempotency_key: str | None = None,
    ) -> SendOutcome:
        return await self.outbound.send(
            self.mail, customer_id, draft, agent=agent, idempotency_key=idempotency_key
        )


def email_of(history: list[Event]) -> str:
    found = [
        e.address for e in history if isinstance(e, ChannelAddressLinked) and e.channel == "email"
    ]
    if not found:
        raise CommandRefused("the customer has no email address; give `to` explicitly")
    return found[-1]
