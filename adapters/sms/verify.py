"""Twilio webhook signatures: HMAC-SHA1 over the URL and the sorted form fields.

This is the algorithm of the twilio library's `RequestValidator` (a unit test
compares the two on many inputs), done once instead of twice per request: the
library signs the URL both with and without its port and accepts either, so
this does too, but derives the two URL variants once per URL (cached), tries
the configured form first and reuses one HMAC keyed with the token.

The URL that was signed is rebuilt from the configured public base URL, never
from the Host or X-Forwarded-* headers, which the caller controls.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import cast
from urllib.parse import ParseResult, urlparse

from twilio import request_validator

# The library's own port rules (it has no annotations): the variants it accepts.
_PortRule = Callable[[ParseResult], str]
add_port = cast(_PortRule, request_validator.add_port)
remove_port = cast(_PortRule, request_validator.remove_port)


def signed_url(public_url: str, path: str, query: str) -> str:
    base = public_url.rstrip("/")
    return f"{base}{path}?{query}" if query else f"{base}{path}"


@lru_cache(maxsize=256)
def url_variants(url: str) -> tuple[bytes, ...]:
    """The URL as given, then the other port form Twilio may have signed."""
    parsed = urlparse(url)
    with_port, without_port = add_port(parsed), remove_port(parsed)
    first, second = (with_port, without_port) if parsed.port else (without_port, with_port)
    return (first.encode(),) if first == second else (first.encode(), second.encode())


@lru_cache(maxsize=16)
def _keyed(auth_token: str) -> hmac.HMAC:
    """An HMAC keyed with the token, to copy: keying costs more than the hashing."""
    return hmac.new(auth_token.encode(), digestmod=hashlib.sha1)


def _fields(params: Mapping[str, str]) -> bytes:
    return "".join(name + params[name] for name in sorted(params)).encode()


def _signature(auth_token: str, url: bytes, fields: bytes) -> bytes:
    mac = _keyed(auth_token).copy()
    mac.update(url)
    mac.update(fields)
    return base64.b64encode(mac.digest())


def twilio_signature_valid(
    auth_token: str, url: str, params: Mapping[str, str], signature: str | None
) -> bool:
    if not signature or not auth_token:
        return False
    expected = signature.encode(errors="replace")
    fields = _fields(params)
    return any(
        hmac.compare_digest(_signature(auth_token, variant, fields), expected)
        for variant in url_variants(url)
    )


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The X-Twilio-Signature Twilio would send (for tests and the README tour)."""
    return _signature(auth_token, url.encode(), _fields(params)).decode()
