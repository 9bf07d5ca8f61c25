"""Signed one-click unsubscribe links (RFC 8058) for outbound email.

The link names the customer and carries an HMAC over their id, so the link
itself is the authentication: whoever holds it (the recipient, or their mail
provider acting for them) may opt that customer out of email, and nobody can
forge one for another customer. It grants nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID

PATH = "/unsubscribe/email"
# `List-Unsubscribe-Post` as RFC 8058 requires it, and the body providers POST.
ONE_CLICK = "List-Unsubscribe=One-Click"


def sign(secret: bytes, message: str) -> str:
    """The hub's one link signature (HMAC-SHA256, hex). Each kind of link signs
    a message that starts with its own purpose ("unsubscribe:", "survey:"), so a
    signature made for one kind never passes as another."""
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def sign_valid(secret: bytes, message: str, given: str) -> bool:
    return hmac.compare_digest(sign(secret, message), given)


def signature(secret: bytes, customer_id: UUID) -> str:
    return sign(secret, f"unsubscribe:{customer_id}")


def signature_valid(secret: bytes, customer_id: UUID, given: str) -> bool:
    return sign_valid(secret, f"unsubscribe:{customer_id}", given)


def unsubscribe_url(public_url: str, secret: bytes, customer_id: UUID) -> str:
    return f"{public_url.rstrip('/')}{PATH}/{customer_id}/{signature(secret, customer_id)}"
