"""Reading one interaction whole: its full text, an email's sanitised HTML,
and its files: an email's attachments, a letter's PDF or scan, a call's
recordings.

The timeline keeps a one-line summary; the whole content lives in the
interaction's own stream, read through the event store (so it is decrypted
with the customer's key, and reads as erased once that key is destroyed).
File bytes live in the blob store: by their own hash (Mailgun's files, what we
send, letters both ways), or inside the raw message of an email that came over
SMTP. A call's recording stays with Twilio and is fetched when it is played.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol
from uuid import UUID

from adapters.email import mime
from adapters.voice.recordings import CONTENT_TYPE as RECORDING_TYPE
from events import (
    CallPlaced,
    ConsentChanged,
    EmailAttachment,
    EmailReceived,
    EmailSent,
    Event,
    LetterReceived,
    LetterSent,
    RecordingAttached,
    SmsReceived,
    SmsSent,
    TranscriptAttached,
)
from services.infra.blobs import BlobStore
from services.infra.eventstore import EventStore


@dataclass(frozen=True)
class InteractionFile:
    """One file of an interaction. `sha256` names its blob; a recording has
    none (Twilio holds it, `recording_sid` names it) and no known `size`."""

    name: str
    content_type: str
    size: int | None
    sha256: str | None
    recording_sid: str | None = None


@dataclass(frozen=True)
class InteractionContent:
    """`body`: the whole plain text (an email's, a message's, a letter's, a
    call's transcript), None if there is none (yet); `html`: an email's
    sanitised HTML part; `attachments`: its files, in a stable order."""

    body: str | None
    html: str | None = None
    attachments: tuple[InteractionFile, ...] = ()


SCAN_SUFFIXES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


def _email_file(meta: EmailAttachment) -> InteractionFile:
    return InteractionFile(meta.name, meta.content_type, meta.size, meta.sha256)


def _letter_file(name: str, content_type: str, sha256: str) -> InteractionFile:
    # The size is the blob's; `Interactions.content` fills it in.
    return InteractionFile(name, content_type, None, sha256)


def content_of(stream: Sequence[Event]) -> InteractionContent:
    """The content an interaction's events carry (pure)."""
    transcript: str | None = None
    recordings: dict[str, InteractionFile] = {}
    for event in stream:
        if isinstance(event, EmailReceived | EmailSent):
            files = tuple(_email_file(a) for a in event.attachments)
            return InteractionContent(event.text, event.html or None, files)
        if isinstance(event, SmsReceived | SmsSent):
            return InteractionContent(event.body)
        if isinstance(event, LetterReceived):
            suffix = SCAN_SUFFIXES.get(event.content_type, "tiff")
            scan = _letter_file(f"scan.{suffix}", event.content_type, event.document_sha256)
            return InteractionContent(event.text or None, attachments=(scan,))
        if isinstance(event, LetterSent):
            pdf = _letter_file("letter.pdf", "application/pdf", event.document_sha256)
            return InteractionContent(event.body, attachments=(pdf,))
        if isinstance(event, TranscriptAttached) and event.status == "completed":
            transcript = event.text  # the latest completed transcription wins
        if isinstance(event, RecordingAttached):
            sid = event.provider_recording_id  # a repeated callback is one recording
            recordings.setdefault(
                sid, InteractionFile(f"{sid}.wav", RECORDING_TYPE, None, None, recording_sid=sid)
            )
    return InteractionContent(transcript, attachments=tuple(recordings.values()))


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
    meta: InteractionFile
    data: bytes


class RecordingSource(Protocol):
    """Where call recordings are (Twilio): the audio, None if it is gone."""

    def fetch(self, recording_sid: str) -> bytes | None: ...


class Interactions:
    def __init__(
        self, store: EventStore, blobs: BlobStore, recordings: RecordingSource | None = None
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.recordings = recordings

    def content(self, interaction_id: UUID) -> InteractionContent:
        content = content_of(self.store.stream(interaction_id))
        if not any(f.size is None and f.sha256 for f in content.attachments):
            return content
        return replace(content, attachments=tuple(map(self._sized, content.attachments)))

    def _sized(self, file: InteractionFile) -> InteractionFile:
        if file.size is not None or file.sha256 is None:
            return file
        data = self.blobs.get(file.sha256)
        return replace(file, size=len(data)) if data is not None else file

    def consent(self, interaction_id: UUID) -> ConsentProof | None:
        """The consent an outbound interaction relied on; None for inbound ones."""
        stream = self.store.stream(interaction_id)
        if not stream or not isinstance(stream[0], OUTBOUND_INTENTS):
            return None
        customer_id = stream[0].customer_id
        assert customer_id is not None
        return consent_proof(stream[0], self.store.stream(customer_id))

    def attachment(self, interaction_id: UUID, index: int) -> Attachment | None:
        """The file at `index` (0-based, as `content` lists them), or None if
        there is none. A recording Twilio cannot deliver raises
        `RecordingUnavailable` (it is there, only not now)."""
        stream = self.store.stream(interaction_id)
        files = content_of(stream).attachments
        if not 0 <= index < len(files):
            return None
        meta = files[index]
        if meta.recording_sid is not None:
            if self.recordings is None:
                return None  # no Twilio account configured to fetch it with
            audio = self.recordings.fetch(meta.recording_sid)
            return Attachment(replace(meta, size=len(audio)), audio) if audio else None
        assert meta.sha256 is not None
        data = self.blobs.get(meta.sha256)
        email = next((e for e in stream if isinstance(e, EmailReceived)), None)
        if data is None and email is not None and email.raw_sha256:
            data = self._from_raw(email.raw_sha256, meta.sha256)
        return Attachment(replace(meta, size=len(data)), data) if data is not None else None

    def _from_raw(self, raw_sha256: str, sha256: str) -> bytes | None:
        """An attachment's bytes from the raw message it arrived in."""
        raw = self.blobs.get(raw_sha256)
        if raw is None:
            return None
        found = (data for meta, data in mime.attachments(mime.parse(raw)) if meta.sha256 == sha256)
        return next(found, None)
