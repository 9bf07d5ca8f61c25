"""What identifies one inbound email, beyond its Message-ID.

Message-IDs are not unique in practice: some clients reuse them, and anyone can
copy another's. So an inbound email is identified by its Message-ID together
with its sender and a digest of the content its sender wrote: the body and
the headers, without the trace headers that relays add or rewrite on the way
(Received, Return-Path, DKIM and ARC signatures, X-* headers, ...). The same
message delivered again, through the same relay or another, has the same
digest (a no-op); a different message never collides with it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence

import orjson

# Headers added or rewritten in transit (RFC 5321 trace fields, signatures and
# verdicts of relays and filters, resends), not written by the sender.
TRACE_HEADERS = frozenset(
    {
        "received",
        "return-path",
        "delivered-to",
        "envelope-to",
        "dkim-signature",
        "domainkey-signature",
        "authentication-results",
        "received-spf",
        "arc-seal",
        "arc-message-signature",
        "arc-authentication-results",
        "status",  # mbox readers' flags
        "content-length",  # mbox writers'
        "lines",
    }
)
TRACE_PREFIXES = ("x-", "resent-", "arc-")

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_LINE = re.compile(rb"\r?\n")
_SPACE = re.compile(rb"[ \t]+")


def _is_trace(name: bytes) -> bool:
    text = name.decode("ascii", errors="replace").strip().lower()
    return text in TRACE_HEADERS or text.startswith(TRACE_PREFIXES)


def _fields(head: bytes) -> list[tuple[bytes, bytes]]:
    """The header fields, unfolded, as (lowercased name, whitespace-collapsed value)."""
    fields: list[tuple[bytes, bytes]] = []
    for line in _LINE.split(head):
        if not line.strip():
            continue
        if line[:1] in (b" ", b"\t") and fields:  # a folded continuation
            name, value = fields[-1]
            fields[-1] = (name, value + b" " + line.strip())
            continue
        if line.startswith(b"From ") and not fields:  # an mbox separator, not a header
            continue
        name, colon, value = line.partition(b":")
        fields.append((name.strip().lower(), value.strip()) if colon else (b"", line.strip()))
    return [(name, _SPACE.sub(b" ", value)) for name, value in fields]


def content_digest(raw: bytes) -> str:
    """SHA-256 over what the sender wrote: its headers (not trace headers), in
    order, and the body, with line endings normalised (relays convert them)."""
    found = _HEADER_END.search(raw)
    head, body = (raw[: found.start()], raw[found.end() :]) if found else (raw, b"")
    digest = hashlib.sha256()
    for name, value in _fields(head):
        if not _is_trace(name):
            digest.update(name + b":" + value + b"\n")
    digest.update(b"\n")
    digest.update(b"\n".join(line.rstrip() for line in _LINE.split(body)).rstrip(b"\n"))
    return digest.hexdigest()


# Mailgun's parsed form: the fields the sender's message determines (not the
# routing, signature or Mailgun's copy of the trace headers).
MAILGUN_CONTENT_FIELDS = ("from", "subject", "body-plain", "body-html", "Message-Id")


def mailgun_content_digest(
    fields: Mapping[str, str], files: Sequence[tuple[str, str, bytes]]
) -> str:
    """SHA-256 over the parsed message's content and its attachments' hashes."""
    content: dict[str, object] = {name: fields.get(name, "") for name in MAILGUN_CONTENT_FIELDS}
    content["attachments"] = [hashlib.sha256(data).hexdigest() for _, _, data in files]
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()
