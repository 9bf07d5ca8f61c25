"""Reading one interaction whole: its full text and, for an email, the
sanitised HTML and the attachments.

The timeline keeps a one-line summary; the whole content lives in the
interaction's own stream, read through the event store (so it is decrypted
with the customer's key, and reads as erased once that key is destroyed).
Attachment bytes live in the blob store: by their own hash (Mailgun's files,
what we send), or inside the raw message of an email that came over SMTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from adapters.email import mime
from events import (
    CallPlaced,
    ConsentChanged,
    EmailAttachment,
    EmailReceived,
    EmailSent,
    Event,
    LetterReceived,
    LetterSent,
    SmsReceived,
    SmsSent,
    TranscriptAttached,
)
from services.infra.blobs import BlobStore
from services.infra.eventstore import EventStore


@dataclass(frozen=True)
class InteractionContent:
    """`body`: the whole plain text (an email's, a message's, a letter's, a
    call's transcript), None if there is none (yet); `html`: an email's
    sanitised HTML part."""

    body: str | None
    html: str | None = None
    attachments: tuple[EmailAttachment, ...] = ()


def content_of(stream: Sequence[Event]) -> InteractionContent:
    """The content an interaction's events carry (pure)."""
    transcript: str | None = None
    for event in stream:
        if isinstance(event, EmailReceived | EmailSent):
            return InteractionContent(event.text, event.html or None, event.attachments)
        if isinstance(event, SmsReceived | SmsSent):
            return InteractionContent(event.body)
        if isinstance(event, LetterReceived):
            return InteractionContent(event.text or None)
        if isinstance(event, LetterSent):
            return InteractionContent(event.body)
        if isinstance(event, TranscriptAttached) and event.status == "completed":
            transcript = event.text  # the latest completed transcription wins
    return InteractionContent(transcript)


@dataclass(frozen=True)
class ConsentProof:
    """The consent a send relied on. `consent_id` None: the customer had made no
    decision on the channel, so the default service consent applied."""

    consent_id: UUID | None
    channel: str
    # None: the decision held for every purpose of the channel.
    purpose: str | None
    granted: bool
    at: datetime | None
    source: str
    changed_by: str | None


# The events that start an outbound interaction, each naming its consent_id.
OUTBOUND_INTENTS = (SmsSent, EmailSent, CallPlaced, LetterSent)


def consent_proof(intent: Event, customer_history: Sequence[Event]) -> ConsentProof | None:
    """The consent in force when `intent` was sent, from the customer stream (pure);
    None if `intent` is no send."""
    if not isinstance(intent, OUTBOUND_INTENTS):
        return None
    if intent.consent_id is None:
        return ConsentProof(None, intent.channel, "service", True, None, "default", None)
    for event in customer_history:
        if isinstance(event, ConsentChanged) and event.event_id == intent.consent_id:
            return ConsentProof(
                event.event_id,
                event.channel,
                event.purpose,
                event.granted,
                event.recorded_at,
                event.source,
                event.changed_by,
            )
    raise LookupError(f"consent {intent.consent_id} of {intent.originator_id} is not recorded")


@dataclass(frozen=True)
class Attachment:
    meta: EmailAttachment
    data: bytes


class Interactions:
    def __init__(self, store: EventStore, blobs: BlobStore) -> None:
        self.store = store
        self.blobs = blobs

    def content(self, interaction_id: UUID) -> InteractionContent:
        return content_of(self.store.stream(interaction_id))

    def consent(self, interaction_id: UUID) -> ConsentProof | None:
        """The consent an outbound interaction relied on; None for inbound ones."""
        stream = self.store.stream(interaction_id)
        if not stream or not isinstance(stream[0], OUTBOUND_INTENTS):
            return None
        customer_id = stream[0].customer_id
        assert customer_id is not None
        return consent_proof(stream[0], self.store.stream(customer_id))

    def attachment(self, interaction_id: UUID, index: int) -> Attachment | None:
        """The email's attachment at `index` (0-based), or None if there is none."""
        stream = self.store.stream(interaction_id)
        email = next((e for e in stream if isinstance(e, EmailReceived | EmailSent)), None)
        if email is None or not 0 <= index < len(email.attachments):
            return None
        meta = email.attachments[index]
        data = self.blobs.get(meta.sha256)
        if data is None and isinstance(email, EmailReceived) and email.raw_sha256:
            data = self._from_raw(email.raw_sha256, meta.sha256)
        return Attachment(meta, data) if data is not None else None

    def _from_raw(self, raw_sha256: str, sha256: str) -> bytes | None:
        """An attachment's bytes from the raw message it arrived in."""
        raw = self.blobs.get(raw_sha256)
        if raw is None:
            return None
        found = (data for meta, data in mime.attachments(mime.parse(raw)) if meta.sha256 == sha256)
        return next(found, None)
