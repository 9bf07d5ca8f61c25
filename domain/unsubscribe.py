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


def signature(secret: bytes, customer_id: UUID) -> str:
    return hmac.new(secret, f"unsubscribe:{customer_id}".encode(), hashlib.sha256).hexdigest()


def signature_valid(secret: bytes, customer_id: UUID, given: str) -> bool:
    return hmac.compare_digest(signature(secret, customer_id), given)


def unsubscribe_url(public_url: str, secret: bytes, customer_id: UUID) -> str:
    return f"{public_url.rstrip('/')}{PATH}/{customer_id}/{signature(secret, customer_id)}"
