"""Mailgun webhook signatures: HMAC-SHA256 over timestamp + token.

The signature covers only the timestamp and the token, not the message, so a
captured request could carry another message: stale timestamps are refused
here and reused tokens by the caller, who remembers them durably.
"""

from __future__ import annotations

import hashlib
import hmac

MAX_AGE_SECONDS = 300


class MailgunRejected(ValueError):
    """The request is not a fresh, correctly signed Mailgun request; says why."""


def mailgun_signature(signing_key: str, timestamp: str, token: str) -> str:
    """The `signature` Mailgun sends (for tests and the README)."""
    return hmac.new(
        signing_key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
    ).hexdigest()


def check_mailgun(
    signing_key: str,
    *,
    timestamp: str | None,
    token: str | None,
    signature: str | None,
    now: float,
    max_age: float = MAX_AGE_SECONDS,
) -> None:
    """Raises MailgunRejected unless the signature is valid and the timestamp fresh."""
    if not timestamp or not token or not signature:
        raise MailgunRejected("missing timestamp, token or signature")
    expected = mailgun_signature(signing_key, timestamp, token)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise MailgunRejected("invalid signature")
    try:
        sent = float(timestamp)
    except ValueError:
        raise MailgunRejected("timestamp is not a number") from None
    if abs(now - sent) > max_age:
        raise MailgunRejected(f"stale timestamp (more than {int(max_age)} s from now)")
