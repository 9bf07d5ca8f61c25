"""Signatures of the webhooks we send to partners: HMAC-SHA256 with a timestamp.

The scheme of the providers we receive from (Stripe, Mailgun): the signed
string is `f"{timestamp}.{body}"`, so a captured request cannot be replayed
later with another timestamp, and the header names its version (`v1=`) so the
scheme can change without breaking receivers. Pure: the caller gives the time.
"""

from __future__ import annotations

import hashlib
import hmac

VERSION = "v1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Contacthub-Signature` header value: `v1=<hex>`."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"{VERSION}={digest}"


def verify(
    secret: str, timestamp: str, body: bytes, header: str, *, now: int, tolerance: int = 300
) -> bool:
    """What a receiver checks: the timestamp is recent and the signature matches."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, sent, body), header)
