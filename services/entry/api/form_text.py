"""The text of posted webhook forms, as the sender's bytes, decoded strictly.

Starlette reads a form field that is not valid UTF-8 as latin-1, and the
standard urlencoded parsers read it with replacement characters: either way
a garbled text would be stored as if it were the customer's. The webhooks
refuse such a form instead (400, naming the field), so nothing garbled is
recorded and the sender learns why.
"""

from __future__ import annotations

from email import policy
from email.message import Message
from email.parser import BytesParser
from urllib.parse import unquote_to_bytes


class NotUtf8(ValueError):
    """A form field is not valid UTF-8; the text names it."""


def decode_field(name: str, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotUtf8(
            f"form field {name!r} is not valid UTF-8 (byte {raw[exc.start : exc.start + 1]!r} "
            f"at offset {exc.start})"
        ) from None


def urlencoded_fields(body: bytes, *, max_fields: int) -> list[tuple[str, bytes]]:
    """(name, percent-decoded bytes) of each field of an urlencoded form, in order.

    Works on bytes throughout, so a client that sends raw UTF-8 instead of
    percent-escapes is read right too. Raises NotUtf8 for a name that is not
    UTF-8, ValueError for more than `max_fields` fields.
    """
    pairs = [pair for pair in body.split(b"&") if pair]
    if len(pairs) > max_fields:
        raise ValueError(f"the form has more than {max_fields} fields")
    found: list[tuple[str, bytes]] = []
    for pair in pairs:
        name, _, value = pair.partition(b"=")
        raw_name = unquote_to_bytes(name.replace(b"+", b" "))
        found.append(
            (decode_field("(a name)", raw_name), unquote_to_bytes(value.replace(b"+", b" ")))
        )
    return found


def multipart_text_fields(content_type: str, body: bytes) -> list[tuple[str, bytes]]:
    """(name, bytes) of each part of a multipart/form-data body that is not a file."""
    head = b"Content-Type: " + content_type.encode("latin-1", errors="replace") + b"\r\n\r\n"
    message = BytesParser(policy=policy.compat32).parsebytes(head + body)
    if not message.is_multipart():
        return []
    found: list[tuple[str, bytes]] = []
    for part in message.get_payload():
        assert isinstance(part, Message)
        if part.get_param("filename", header="content-disposition") is not None:
            continue
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            found.append((name, payload))
    return found
