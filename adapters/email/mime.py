"""Reading MIME messages with the standard `email` package (policy.default).

The policy decodes RFC 2047 headers ("=?iso-8859-1?q?M=FCller?="), RFC 2231
file names and quoted-printable or base64 bodies in their declared charset, so
umlauts arrive intact. What it cannot decode (an unknown charset, say) is read
with replacement characters instead of failing the whole message.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import re
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

import nh3

from events import EmailAttachment

_BREAKS = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>", re.IGNORECASE)


def parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def header(message: Message, name: str) -> str:
    """A header's decoded text, or empty; a header the policy cannot parse is
    read as plain text rather than failing the message."""
    try:
        value = message.get(name)
    except Exception:
        value = message.get_all(name, failobj=[""])[0] if hasattr(message, "get_all") else ""
    return "" if value is None else str(value).strip()


def addresses(message: Message, *names: str) -> list[tuple[str, str]]:
    """(display name, address) pairs from the named address headers."""
    found: list[tuple[str, str]] = []
    for name in names:
        try:
            values = [str(v) for v in message.get_all(name, [])]
        except Exception:
            continue
        found += [(n, a) for n, a in getaddresses(values) if a]
    return found


def first_address(text: str) -> tuple[str, str]:
    name, address = parseaddr(text)
    return name, address


def sent_at(message: Message) -> datetime | None:
    try:
        value = message.get("Date")
        when = getattr(value, "datetime", None)
    except Exception:
        return None
    return when if isinstance(when, datetime) and when.tzinfo is not None else None


def part_text(part: Message) -> str:
    """A text part's content in its charset; unknown charsets degrade, not fail."""
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except (LookupError, UnicodeError, AttributeError, ValueError):
        pass
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def sanitise_html(markup: str) -> str:
    """HTML safe to show in the console: nh3 removes scripts, handlers, javascript: links."""
    return nh3.clean(markup)


def html_to_text(markup: str) -> str:
    """Readable text from HTML, for messages that have no plain-text part."""
    text = nh3.clean(_BREAKS.sub("\n", markup), tags=set())
    return html_lib.unescape(text).strip()


def bodies(message: EmailMessage) -> tuple[str, str]:
    """(text, sanitised HTML) of the message's body parts."""
    plain = message.get_body(preferencelist=("plain",))
    rich = message.get_body(preferencelist=("html",))
    html = sanitise_html(part_text(rich)) if rich is not None else ""
    text = part_text(plain) if plain is not None else (html_to_text(html) if html else "")
    # SMTP's CRLF is the wire format, not part of the text.
    return text.replace("\r\n", "\n"), html


def attachment_meta(name: str, content_type: str, data: bytes) -> EmailAttachment:
    return EmailAttachment(
        name=name,
        content_type=content_type.lower(),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def attachments(message: EmailMessage) -> list[tuple[EmailAttachment, bytes]]:
    """Each attachment's description and decoded content."""
    found: list[tuple[EmailAttachment, bytes]] = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else part.as_bytes()
        try:
            name = part.get_filename() or ""
        except Exception:
            name = ""
        found.append((attachment_meta(name, part.get_content_type(), data), data))
    return found
