"""Email threading: which conversation a message belongs to.

Pure functions; the recorder looks up what they need and passes it in.

Order of evidence:
1. headers: a message named in In-Reply-To or References that the store has
   (the direct parent first, then the nearest ancestors), from the same customer;
2. the subject: the same normalised subject ("AW: Re: Bestellung" is
   "bestellung") from the same customer within a window, the conversation whose
   activity is nearest in time;
3. otherwise a new conversation.

Because a new conversation is opened only when no message of the same customer
and subject is within the window, one reply tree ends up as one conversation
whatever order its messages arrive in and whichever headers were dropped.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from events import provider_event_id

# Reply and forward markers of common mail clients: English, German (AW, WG,
# Antw), Nordic (SV, VS), Dutch (Antw), Italian (R, RIF), French (TR), Polish
# (Odp); with optional counters as in "Re[2]:" or "Re(3):".
_PREFIX = re.compile(
    r"^\s*(?:re|aw|antw|antwort|fw|fwd|wg|sv|vs|tr|rif|r|odp)\s*(?:\[\d+\]|\(\d+\))?\s*[:\uff1a]\s*",
    re.IGNORECASE,
)
_MSG_ID = re.compile(r"<([^<>\s]+)>")
_SPACE = re.compile(r"\s+")

# A misbehaving client can send thousands of References; the parent and a few
# ancestors are all threading needs.
MAX_REFERENCES = 20


def normalise_subject(subject: str) -> str:
    """The subject without reply/forward prefixes, whitespace collapsed, casefolded."""
    text = _SPACE.sub(" ", subject).strip()
    while True:
        stripped = _PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return text.casefold()


def subject_key(secret: bytes, normalised_subject: str) -> str:
    """Keyed hash of a normalised subject: stream ids must not reveal subjects."""
    message = f"email-subject:{normalised_subject}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:40]


def normalise_message_id(header: str | None) -> str | None:
    """`abc@host` for `<abc@host>` (folding whitespace removed); None if empty."""
    if not header:
        return None
    found = _MSG_ID.search(header)
    text = found.group(1) if found else _SPACE.sub("", header).strip("<>")
    return text or None


def message_ids(header: str | None) -> tuple[str, ...]:
    """The msg-ids in an In-Reply-To or References header, in order, de-duplicated."""
    if not header:
        return ()
    found = _MSG_ID.findall(header)
    if not found:  # some clients omit the angle brackets
        found = [t for t in _SPACE.split(header.strip()) if "@" in t]
    return tuple(dict.fromkeys(found))


CONTENT_KEY_PREFIX = "sha256:"


def message_key(message_id: str | None, content_digest: str) -> str:
    """The key a message is threaded by: its Message-ID, or (without one) the
    digest of its content, which no reply can name."""
    return message_id or CONTENT_KEY_PREFIX + content_digest


def names_message_id(key: str) -> bool:
    """True if the key is a real Message-ID (one that replies can name)."""
    return not key.startswith(CONTENT_KEY_PREFIX)


def referenced_ids(in_reply_to: Iterable[str], references: Sequence[str]) -> list[str]:
    """Candidate parents, nearest first: In-Reply-To, then References backwards."""
    ordered = [*in_reply_to, *reversed(references)]
    return list(dict.fromkeys(ordered))[:MAX_REFERENCES]


@dataclass(frozen=True)
class KnownMessage:
    """A referenced email the store has."""

    customer_id: UUID
    conversation_id: UUID


@dataclass(frozen=True)
class SubjectUse:
    """An email of this customer under the same subject (an `EmailThreaded`)."""

    conversation_id: UUID
    occurred_at: datetime


@dataclass(frozen=True)
class ThreadDecision:
    conversation_id: UUID
    started: bool
    via: Literal["headers", "subject", "new"]


def new_conversation_id(message_key: str) -> UUID:
    """Deterministic, so deciding again after a lost race gives the same id."""
    return provider_event_id("email", "conversation", message_key)


def decide_conversation(
    *,
    customer_id: UUID,
    message_key: str,
    referenced: Sequence[KnownMessage | None],
    subject_key: str,
    subject_uses: Sequence[SubjectUse],
    occurred_at: datetime,
    window: timedelta,
) -> ThreadDecision:
    """The conversation for a message.

    `referenced` holds, nearest first, what the store knows of each referenced
    message id (None for ones it does not have).
    """
    for known in referenced:
        if known is not None and known.customer_id == customer_id:
            return ThreadDecision(known.conversation_id, started=False, via="headers")
    if subject_key:
        near = [u for u in subject_uses if abs(u.occurred_at - occurred_at) <= window]
        if near:
            best = min(near, key=lambda u: (abs(u.occurred_at - occurred_at), -_ts(u)))
            return ThreadDecision(best.conversation_id, started=False, via="subject")
    return ThreadDecision(new_conversation_id(message_key), started=True, via="new")


def _ts(use: SubjectUse) -> float:
    return use.occurred_at.timestamp()
