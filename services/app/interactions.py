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
from uuid import UUID

from adapters.email import mime
from events import (
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
class Attachment:
    meta: EmailAttachment
    data: bytes


class Interactions:
    def __init__(self, store: EventStore, blobs: BlobStore) -> None:
        self.store = store
        self.blobs = blobs

    def content(self, interaction_id: UUID) -> InteractionContent:
        return content_of(self.store.stream(interaction_id))

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
