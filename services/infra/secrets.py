"""Which settings are secrets, and the check that the distributed services have good ones.

`contacthub serve` (one machine) generates what it lacks into the data folder;
the distributed services (`contacthub run ...`) are several processes that
must share their keys and face the internet, so each refuses to start while a
secret it needs is missing, malformed or a well-known default (docs/security.md).
The values themselves never appear in a message: only the variable names.
"""

from __future__ import annotations

import base64
import binascii

from services.infra.settings import Settings

# Setting name -> its environment variable. Everything here is kept out of logs,
# error bodies and /metrics.
SECRETS: dict[str, str] = {
    "master_key": "CONTACTHUB_MASTER_KEY",
    "audit_signing_key": "CONTACTHUB_AUDIT_SIGNING_KEY",
    "twilio_auth_token": "CONTACTHUB_TWILIO_AUTH_TOKEN",
    "mailgun_signing_key": "CONTACTHUB_MAILGUN_SIGNING_KEY",
    "post_webhook_secret": "CONTACTHUB_POST_WEBHOOK_SECRET",
    "metrics_token": "CONTACTHUB_METRICS_TOKEN",
}
# The keys that are base64 of 32 bytes.
KEYS = frozenset({"master_key", "audit_signing_key"})

# What each service refuses to start without: every process reads or writes
# encrypted events (the master key); the gateway checks both providers'
# signatures; the API signs audit exports, with one key across its replicas.
REQUIRED: dict[str, tuple[str, ...]] = {
    "gateway": ("master_key", "twilio_auth_token", "mailgun_signing_key"),
    "api": ("master_key", "audit_signing_key"),
    "recorder": ("master_key",),
    "orders": ("master_key",),
    "projector": ("master_key",),
    "publisher": ("master_key",),
    "partner-webhooks": ("master_key",),
}

MIN_LENGTH = 16
# Placeholders from examples and tutorials: a value like these is no secret.
DEFAULTS = frozenset(
    {
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "password",
        "default",
        "example",
        "test",
        "token",
        "xxx",
        "...",
    }
)


class SecretRefused(ValueError):
    """A secret setting is missing or unusable; the message names the variable, not the value."""


def _is_default(value: str) -> bool:
    plain = value.strip().lower()
    # "0000...", "aaaa...", "AAAA...=" (zero bytes in base64): no secret either.
    return plain in DEFAULTS or len(set(plain)) <= 2


def problem(name: str, value: str | None) -> str | None:
    """Why `value` is no usable secret for setting `name`; None if it is one."""
    variable = SECRETS[name]
    if not value:
        return f"{variable} is not set"
    if _is_default(value):
        return f"{variable} is a default or placeholder value; set a random one"
    if name in KEYS:
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            return f"{variable} must be base64 of 32 random bytes (openssl rand -base64 32)"
        if len(set(raw)) < 8:
            return f"{variable} is not random; set one from openssl rand -base64 32"
    elif len(value) < MIN_LENGTH:
        return f"{variable} is shorter than {MIN_LENGTH} characters"
    return None


def check_secrets(settings: Settings, service: str) -> None:
    """Raises SecretRefused listing every required secret that is missing or
    weak, and every optional one that is set but weak."""
    required = REQUIRED.get(service, ("master_key",))
    problems = []
    for name in SECRETS:
        value = getattr(settings, name)
        if name in required or value:
            found = problem(name, value)
            if found is not None:
                problems.append(found)
    if problems:
        raise SecretRefused(f"contacthub run {service} refuses to start: " + "; ".join(problems))


def secret_values(settings: Settings) -> list[str]:
    """The configured secret values (for scrubbing and for tests that look for leaks)."""
    return [v for name in SECRETS if (v := getattr(settings, name))]
