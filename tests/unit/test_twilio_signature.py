"""Our webhook signature check agrees with the twilio library's RequestValidator."""

from __future__ import annotations

import random
import string

import pytest
from twilio.request_validator import RequestValidator

from adapters.sms.verify import twilio_signature, twilio_signature_valid

TOKEN = "12345678901234567890123456789012"

URLS = [
    "https://hub.example.com/webhooks/twilio/sms",
    "https://hub.example.com:443/webhooks/twilio/sms",
    "https://hub.example.com:8443/webhooks/twilio/sms?interaction=abc&x=%20y",
    "http://127.0.0.1:8000/webhooks/twilio/sms/status?interaction=1",
    "http://hub.example.com/webhooks/twilio/sms",
    "http://hub.example.com:80/webhooks/twilio/sms",
]


def random_form(rng: random.Random) -> dict[str, str]:
    alphabet = string.ascii_letters + string.digits + " +&=%äöü€😀"
    return {
        "".join(rng.choices(string.ascii_letters, k=rng.randint(1, 12))): "".join(
            rng.choices(alphabet, k=rng.randint(0, 30))
        )
        for _ in range(rng.randint(0, 12))
    }


@pytest.mark.parametrize("url", URLS)
def test_signature_matches_the_library(url: str) -> None:
    rng = random.Random(url)
    library = RequestValidator(TOKEN)
    for _ in range(200):
        form = random_form(rng)
        assert twilio_signature(TOKEN, url, form) == library.compute_signature(url, form)


@pytest.mark.parametrize("signed", URLS)
@pytest.mark.parametrize("checked", URLS)
def test_validity_matches_the_library_with_and_without_port(signed: str, checked: str) -> None:
    """Twilio signs the URL with or without the port; both checks accept the same."""
    rng = random.Random(signed + checked)
    library = RequestValidator(TOKEN)
    for _ in range(20):
        form = random_form(rng)
        signature = library.compute_signature(signed, form)
        expected = library.validate(checked, form, signature)
        assert twilio_signature_valid(TOKEN, checked, form, signature) is expected


@pytest.mark.parametrize("signature", ["", "x", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "ö" * 28, None])
def test_wrong_signatures_are_refused(signature: str | None) -> None:
    form = {"From": "+491761234567", "Body": "hi"}
    assert not twilio_signature_valid(TOKEN, URLS[0], form, signature)


def test_a_changed_field_or_token_is_refused() -> None:
    form = {"From": "+491761234567", "Body": "hi"}
    signature = RequestValidator(TOKEN).compute_signature(URLS[0], form)
    assert twilio_signature_valid(TOKEN, URLS[0], form, signature)
    assert not twilio_signature_valid(TOKEN, URLS[0], {**form, "Body": "hi!"}, signature)
    assert not twilio_signature_valid("other" + TOKEN, URLS[0], form, signature)
    assert not twilio_signature_valid("", URLS[0], form, signature)
