"""Which secrets each distributed service needs, and which values are no secret."""

from __future__ import annotations

import base64
import os

import pytest

from services.infra.secrets import REQUIRED, SecretRefused, check_secrets, problem
from services.infra.settings import Settings

KEY = base64.b64encode(os.urandom(32)).decode()


def settings(**values: str) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("master_key", None, "CONTACTHUB_MASTER_KEY is not set"),
        ("master_key", "changeme", "CONTACTHUB_MASTER_KEY is a default or placeholder value"),
        ("master_key", base64.b64encode(bytes(32)).decode(), "default or placeholder"),
        ("master_key", base64.b64encode(b"ab" * 16).decode(), "is not random"),
        ("master_key", base64.b64encode(bytes(range(16))).decode(), "base64 of 32 random bytes"),
        ("master_key", "not base64 at all!", "base64 of 32 random bytes"),
        ("twilio_auth_token", "", "CONTACTHUB_TWILIO_AUTH_TOKEN is not set"),
        ("twilio_auth_token", "secret", "default or placeholder"),
        ("twilio_auth_token", "0123456789", "shorter than 16 characters"),
        ("mailgun_signing_key", "xxxxxxxxxxxxxxxxxxxx", "default or placeholder"),
    ],
)
def test_missing_default_and_weak_values_are_refused(
    name: str, value: str | None, reason: str
) -> None:
    found = problem(name, value)
    assert found is not None and reason in found
    if value:
        assert value not in found  # the message names the variable, never the value


def test_good_values_pass() -> None:
    assert problem("master_key", KEY) is None
    assert problem("twilio_auth_token", os.urandom(16).hex()) is None


def test_each_service_refuses_without_its_secrets_and_names_them_all() -> None:
    with pytest.raises(SecretRefused) as refused:
        check_secrets(settings(), "gateway")
    message = str(refused.value)
    assert message.startswith("contacthub run gateway refuses to start: ")
    for variable in (
        "CONTACTHUB_MASTER_KEY",
        "CONTACTHUB_TWILIO_AUTH_TOKEN",
        "CONTACTHUB_MAILGUN_SIGNING_KEY",
    ):
        assert variable in message
    check_secrets(
        settings(
            master_key=KEY,
            twilio_auth_token=os.urandom(16).hex(),
            mailgun_signing_key=os.urandom(16).hex(),
        ),
        "gateway",
    )
    for service in ("recorder", "projector", "publisher", "orders", "partner-webhooks"):
        assert REQUIRED[service] == ("master_key",)
        check_secrets(settings(master_key=KEY), service)
    with pytest.raises(SecretRefused, match="CONTACTHUB_AUDIT_SIGNING_KEY is not set"):
        check_secrets(settings(master_key=KEY), "api")
    # A secret a service does not need is still refused when set to a placeholder.
    with pytest.raises(SecretRefused, match="CONTACTHUB_METRICS_TOKEN is a default"):
        check_secrets(settings(master_key=KEY, metrics_token="changeme"), "recorder")
