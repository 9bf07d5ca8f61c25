"""Pure translation between email (raw MIME, Mailgun's parsed form) and our events.

The event id of an inbound email derives from its Message-ID (or, without one,
its content digest), its sender and the digest of what the sender wrote
(`adapters.email.identity`), so the same mail delivered twice (SMTP retry,
another relay, webhook redelivery) maps to the same event, and a different
mail that reuses a Message-ID maps to its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

import orjson

from adapters.email import mime
from adapters.email.identity import content_digest, mailgun_content_digest
from domain.addresses import InvalidAddress, address_key, normalise_email
from domain.email_threads import (
    message_ids,
    message_key,
    names_message_id,
    normalise_message_id,
    normalise_subject,
    subject_key,
)
from events import EmailAttachment, EmailReceived, EmailSent, inbound_email_id
from events.email import EmailProvider

# Mailgun's own fields, not part of the message: never hashed into its identity.
MAILGUN_SIGNATURE_FIELDS = frozenset({"timestamp", "token", "signature"})


class MalformedEmail(ValueError):
    """The message cannot be recorded as an email; the text says why."""


def sender_address(candidates: Sequence[str]) -> str:
    """The first candidate that is a valid address, normalised."""
    problems = []
    for candidate in candidates:
        if not candidate:
            continue
        try:
            return normalise_email(candidate)
        except InvalidAddress as exc:
            problems.append(str(exc))
    raise MalformedEmail("no valid sender address: " + ("; ".join(problems) or "none given"))


def _clean_addresses(candidates: Sequence[str]) -> tuple[str, ...]:
    found = []
    for candidate in candidates:
        try:
            found.append(normalise_email(candidate))
        except InvalidAddress:
            continue
    return tuple(dict.fromkeys(found))


def inbound_email_event(
    raw: bytes,
    *,
    provider: EmailProvider,
    received_at: datetime,
    address_secret: bytes,
    envelope_from: str | None = None,
    envelope_to: Sequence[str] = (),
    message: EmailMessage | None = None,
) -> EmailReceived:
    """The intake event for a raw MIME message (SMTP DATA or Mailgun's body-mime).

    The From header names the customer; the envelope sender stands in when the
    header is missing or unusable (but not for bounces, whose envelope sender
    is empty). `message` is `raw` already parsed (mime.parse), when the caller
    has it: a large message is parsed once on its way in, not once per reader.
    """
    if not raw.strip():
        raise MalformedEmail("the message is empty")
    if message is None:
        message = mime.parse(raw)
    named = mime.addresses(message, "From")
    from_name = named[0][0] if named else ""
    sender = sender_address([a for _, a in named] + [envelope_from or ""])
    recipients = list(envelope_to) or [a for _, a in mime.addresses(message, "To", "Cc")]
    text, html = mime.bodies(message)
    subject = mime.header(message, "Subject")
    digest = content_digest(raw)
    key = message_key(normalise_message_id(mime.header(message, "Message-ID")), digest)
    sender_key = address_key(address_secret, "email", sender)
    interaction_id = inbound_email_id(sender_key, key, digest)
    normalised = normalise_subject(subject)
    return EmailReceived(
        event_id=interaction_id,
        originator_id=interaction_id,
        occurred_at=received_at,
        provider=provider,
        message_id=key,
        in_reply_to=message_ids(mime.header(message, "In-Reply-To")),
        references=message_ids(mime.header(message, "References")),
        from_address=sender,
        from_name=from_name,
        address_key=sender_key,
        to_addresses=_clean_addresses(recipients),
        subject=subject,
        subject_key=subject_key(address_secret, normalised) if normalised else "",
        text=text,
        html=html,
        attachments=tuple(meta for meta, _ in mime.attachments(message)),
        sent_at=mime.sent_at(message),
        raw_sha256=hashlib.sha256(raw).hexdigest(),
        content_sha256=digest,
    )


def mailgun_form_blob(fields: Mapping[str, str]) -> bytes:
    """The parsed form as stored (canonical JSON, without Mailgun's signature)."""
    kept = {k: v for k, v in fields.items() if k not in MAILGUN_SIGNATURE_FIELDS}
    return orjson.dumps(kept, option=orjson.OPT_SORT_KEYS)


def mailgun_form_event(
    fields: Mapping[str, str],
    files: Sequence[tuple[str, str, bytes]],
    *,
    received_at: datetime,
    address_secret: bytes,
) -> EmailReceived:
    """The intake event for Mailgun's parsed inbound form.

    `files` are the posted attachments as (file name, content type, content).
    The identity is the Message-Id, the sender and the digest of the message's
    content (not Mailgun's token or signature), so a redelivery (new token,
    same message) still maps to the same event.
    """
    from_name, from_address = mime.first_address(fields.get("from", ""))
    sender = sender_address([from_address, fields.get("sender", "")])
    blob = mailgun_form_blob(fields)
    digest = mailgun_content_digest(fields, files)
    key = message_key(normalise_message_id(fields.get("Message-Id")), digest)
    sender_key = address_key(address_secret, "email", sender)
    interaction_id = inbound_email_id(sender_key, key, digest)
    subject = fields.get("subject", "").strip()
    normalised = normalise_subject(subject)
    html = mime.sanitise_html(fields.get("body-html", ""))
    text = fields.get("body-plain", "") or (mime.html_to_text(html) if html else "")
    recipients = [r.strip() for r in fields.get("recipient", "").split(",")]
    return EmailReceived(
        event_id=interaction_id,
        originator_id=interaction_id,
        occurred_at=received_at,
        provider="mailgun",
        message_id=key,
        in_reply_to=message_ids(fields.get("In-Reply-To")),
        references=message_ids(fields.get("References")),
        from_address=sender,
        from_name=from_name,
        address_key=sender_key,
        to_addresses=_clean_addresses(recipients),
        subject=subject,
        subject_key=subject_key(address_secret, normalised) if normalised else "",
        text=text,
        html=html,
        attachments=tuple(mime.attachment_meta(n, t, d) for n, t, d in files),
        raw_sha256=hashlib.sha256(blob).hexdigest(),
        content_sha256=digest,
    )


def outbound_mime(
    sent: EmailSent,
    contents: Mapping[str, bytes],
    *,
    from_name: str = "",
    unsubscribe_url: str | None = None,
) -> EmailMessage:
    """The message to hand to the relay: threading headers, text and HTML
    alternatives, attachments (`contents` by their sha256), and with
    `unsubscribe_url` the RFC 8058 one-click unsubscribe headers."""
    message = EmailMessage()
    message["From"] = f"{from_name} <{sent.from_address}>" if from_name else sent.from_address
    message["To"] = sent.to_address
    message["Subject"] = sent.subject
    message["Date"] = format_datetime(sent.occurred_at)
    message["Message-ID"] = f"<{sent.message_id}>"
    if sent.in_reply_to:
        message["In-Reply-To"] = " ".join(f"<{i}>" for i in sent.in_reply_to)
    if sent.references:
        message["References"] = " ".join(f"<{i}>" for i in sent.references)
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(sent.text or mime.html_to_text(sent.html))
    if sent.html:
        message.add_alternative(sent.html, subtype="html")
    for attachment in sent.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            contents[attachment.sha256],
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment.name or None,
        )
    return message


def attachment_from_upload(name: str, content_type: str, data: bytes) -> EmailAttachment:
    return mime.attachment_meta(name, content_type, data)


def reply_headers(
    parent_message_id: str, parent_references: Sequence[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(In-Reply-To, References) for a reply: the parent's references plus the parent.

    A parent that had no Message-ID (its key is a hash) cannot be named."""
    if not names_message_id(parent_message_id):
        return (), tuple(parent_references)
    references = tuple(dict.fromkeys([*parent_references, parent_message_id]))
    return (parent_message_id,), references


def reply_subject(subject: str) -> str:
    return subject if normalise_subject(subject) != subject.casefold().strip() else f"Re: {subject}"


__all__ = [
    "EmailAttachment",
    "MalformedEmail",
    "inbound_email_event",
    "mailgun_form_event",
    "outbound_mime",
    "reply_headers",
]
