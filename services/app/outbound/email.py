"""Outbound email as a command: record the intent, hand it to the relay, record
the relay's answer. Later DSNs move the interaction on (accepted -> bounced).

The intent (`EmailSent`, with its Message-ID) is recorded before the relay is
called, so a bounce can never arrive for an email the store does not know. A
reply carries In-Reply-To and References built from the email it answers, and
joins that email's conversation.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol
from uuid import UUID

import anyio.to_thread
from eventsourcing.persistence import IntegrityError

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
from services.app.errors import CommandRefused, CustomerNotFound
from services.app.intake.recorder import Recorder
from services.app.outbound.messages import SendOutcome
from services.infra.blobs import BlobStore
from services.infra.eventstore import EventStore

MAX_ATTEMPTS = 8


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


class EmailMessaging:
    def __init__(
        self,
        store: EventStore,
        recorder: Recorder,
        sender: EmailSender | None,
        blobs: BlobStore,
        *,
        from_address: str,
        from_name: str,
        secret: bytes,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.sender = sender
        self.blobs = blobs
        self.from_address = from_address
        self.from_name = from_name
        self.secret = secret
        self.clock = clock

    async def send_email(
        self,
        customer_id: UUID,
        draft: EmailDraft,
        *,
        agent: str,
        idempotency_key: str | None = None,
    ) -> SendOutcome:
        if self.sender is None or not self.from_address:
            raise CommandRefused(
                "email sending is not configured: set CONTACTHUB_SMTP_RELAY_URL "
                "and CONTACTHUB_EMAIL_FROM"
            )
        intent = await anyio.to_thread.run_sync(
            self._record_intent, customer_id, draft, agent, idempotency_key
        )
        if isinstance(intent, SendOutcome):  # the same command again: report, do not resend
            return intent
        sent, last, contents = intent
        message = outbound_mime(sent, contents, from_name=self.from_name)
        result: EmailDeliveryChanged
        error = None
        try:
            answer = await self.sender.send(
                message, sender=sent.from_address, recipients=[sent.to_address]
            )
        except EmailSendFailed as exc:
            error = str(exc)
            status = EmailStatus.DEFERRED if exc.transient else EmailStatus.FAILED
            result = self._relay_event(sent, status, exc.code, error)
        else:
            result = self._relay_event(sent, EmailStatus.ACCEPTED, answer.code, answer.message)
        recorded = await anyio.to_thread.run_sync(self.recorder.record, result)
        state = await anyio.to_thread.run_sync(self._state, sent.originator_id)
        return SendOutcome(
            sent.originator_id,
            state.status.value,
            sent.message_id,
            error,
            max((last, *recorded.notification_ids)),
        )

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

    def _state(self, interaction_id: UUID) -> emails.EmailState:
        state = emails.fold(self.store.stream(interaction_id))
        assert state is not None
        return state

    def _record_intent(
        self, customer_id: UUID, draft: EmailDraft, agent: str, idempotency_key: str | None
    ) -> tuple[EmailSent, int, dict[str, bytes]] | SendOutcome:
        history = self.store.stream(customer_id)
        if not history:
            raise CustomerNotFound(str(customer_id))
        token = (
            provider_event_id("contacthub", "email-out", str(customer_id), idempotency_key).hex
            if idempotency_key
            else secrets.token_hex(16)
        )
        domain = self.from_address.rpartition("@")[2]
        message_id = f"{token}@{domain}"
        interaction_id = email_interaction_id(message_id)
        existing = emails.fold(self.store.stream(interaction_id))
        if existing is not None:
            return SendOutcome(
                interaction_id,
                existing.status.value,
                existing.message_id,
                None,
                self.store.max_notification_id(),
            )

        in_reply_to: tuple[str, ...] = ()
        references: tuple[str, ...] = ()
        conversation = new_conversation_id(message_id)
        started = True
        subject = draft.subject
        to = normalise_email(draft.to) if draft.to else None
        if draft.reply_to is not None:
            parent = emails.fold(self.store.stream(draft.reply_to))
            if parent is None or parent.customer_id != customer_id:
                raise CommandRefused(f"no email interaction {draft.reply_to} of this customer")
            in_reply_to, references = reply_headers(parent.message_id, parent.references)
            conversation = parent.conversation_id or conversation
            started = parent.conversation_id is None
            subject = subject or reply_subject(parent.subject)
            to = to or parent.address
        if not subject:
            raise CommandRefused("an email needs a subject (or `reply_to`)")
        to = to or self._email_of(history)

        contents = {}
        attachments = []
        for name, content_type, data in draft.attachments:
            meta = attachment_from_upload(name, content_type, data)
            self.blobs.put(data)
            contents[meta.sha256] = data
            attachments.append(meta)

        normalised = normalise_subject(subject)
        key = subject_key(self.secret, normalised) if normalised else ""
        for _ in range(MAX_ATTEMPTS):
            now = self.clock()
            sent = EmailSent(
                event_id=interaction_id,
                originator_id=interaction_id,
                customer_id=customer_id,
                occurred_at=now,
                recorded_at=now,
                message_id=message_id,
                in_reply_to=in_reply_to,
                references=references,
                from_address=self.from_address,
                to_address=to,
                subject=subject,
                subject_key=key,
                text=draft.text,
                html=mime.sanitise_html(draft.html) if draft.html else "",
                attachments=tuple(attachments),
                conversation_id=conversation,
                reply_to_interaction=draft.reply_to,
                sent_by=agent,
            )
            stream = self.store.stream(email_subject_stream_id(customer_id, key)) if key else []
            events = plan_outbound_email(sent, subject_stream=stream, started=started, now=now)
            try:
                last = self.recorder.append(events).notification_ids[-1]
            except IntegrityError:
                continue  # a message under the same subject was recorded meanwhile
            return sent, last, contents
        raise CommandRefused("could not record the email: too many concurrent writes")

    @staticmethod
    def _email_of(history: list[Event]) -> str:
        found = [
            e.address
            for e in history
            if isinstance(e, ChannelAddressLinked) and e.channel == "email"
        ]
        if not found:
            raise CommandRefused("the customer has no email address; give `to` explicitly")
        return found[-1]
