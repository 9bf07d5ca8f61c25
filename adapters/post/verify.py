"""Signatures of the print-and-mail provider's status webhook.

`X-Contacthub-Signature: sha256=<hex>`: HMAC-SHA256 of the raw request body
with the shared secret (CONTACTHUB_POST_WEBHOOK_SECRET), compared in constant
time. A replay of a valid report records nothing new (ids are deterministic).
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Contacthub-Signature"
PREFIX = "sha256="


def post_signature(secret: str, body: bytes) -> str:
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_signature_valid(secret: str, body: bytes, signature: str | None) -> bool:
    if not secret or not signature:
        return False
    return hmac.compare_digest(post_signature(secret, body), signature.strip())
