"""Twilio webhook signatures, checked with the twilio library's own validator.

The URL that was signed is rebuilt from the configured public base URL, never
from the Host or X-Forwarded-* headers, which the caller controls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, cast

from twilio.request_validator import RequestValidator


class _Validator(Protocol):
    def validate(self, uri: str, params: dict[str, str], signature: str) -> bool: ...
    def compute_signature(self, uri: str, params: dict[str, str]) -> str: ...


class _ValidatorFactory(Protocol):
    def __call__(self, token: str) -> _Validator: ...


# twilio's RequestValidator has no annotations; this is the part used here.
_validator = cast(_ValidatorFactory, RequestValidator)


def signed_url(public_url: str, path: str, query: str) -> str:
    base = public_url.rstrip("/")
    return f"{base}{path}?{query}" if query else f"{base}{path}"


def twilio_signature_valid(
    auth_token: str, url: str, params: Mapping[str, str], signature: str | None
) -> bool:
    if not signature or not auth_token:
        return False
    return _validator(auth_token).validate(url, dict(params), signature)


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The X-Twilio-Signature Twilio would send (for tests and the README tour)."""
    return _validator(auth_token).compute_signature(url, dict(params))
