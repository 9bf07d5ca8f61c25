"""Webhook forms that are not UTF-8 (Twilio's urlencoded posts, Mailgun's forms)
are refused with 400 naming the field, and record nothing: never stored
garbled. Raw MIME in Mailgun's `body-mime` keeps its own charset; a Mailgun
form far beyond the message size limit is 413. Over real HTTP, on SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_from_bytes

import httpx

from adapters.sms.verify import twilio_signature
from services.wiring.hub import Hub
from tests.support.email_fixtures import (
    MAX_MESSAGE_BYTES,
    OUR_ADDRESS,
    mailgun_fields,
    relay,
    settings,
    smtp_port,
)
from tests.support.hub import AUTH_TOKEN, inbound_sms_form, settle, wait_until

__all__ = ["relay", "settings", "smtp_port"]  # fixtures used by this module

SMS = "/webhooks/twilio/sms"
MAILGUN = "/webhooks/email/mailgun"
BOUNDARY = "grenze"


def post_form_bytes(
    client: httpx.Client,
    url: str,
    fields: dict[str, bytes],
    signed_as: dict[str, str],
    *,
    raw_body: bool = False,
) -> httpx.Response:
    """An urlencoded form of these exact bytes (percent-encoded, or as they are
    with `raw_body`), signed as Twilio would sign `signed_as`."""
    if raw_body:  # only ASCII escaped; bytes >= 0x80 go as they are
        body = b"&".join(k.encode() + b"=" + raw_escaped(v) for k, v in fields.items())
    else:
        body = "&".join(f"{k}={quote_from_bytes(v)}" for k, v in fields.items()).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilio_signature(AUTH_TOKEN, url, signed_as),
    }
    return client.post(url, content=body, headers=headers)


def raw_escaped(value: bytes) -> bytes:
    return b"".join(
        bytes([c]) if c >= 0x80 else quote_from_bytes(bytes([c])).encode() for c in value
    )


def multipart(fields: dict[str, bytes]) -> tuple[bytes, dict[str, str]]:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value
        + b"\r\n"
        for name, value in fields.items()
    ]
    body = b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def test_an_sms_webhook_that_is_not_utf8_is_400_and_records_nothing(
    hub: Hub, client: httpx.Client, base_url: str
) -> None:
    form = inbound_sms_form(71, "+4915112345678", "x")
    latin1 = {k: v.encode() for k, v in form.items()} | {"Body": b"Gr\xfc\xdfe"}
    before = settle(hub)
    # Signed over what a lenient reading would make of the bytes, so only the
    # encoding can be the reason for a refusal.
    for raw_body, lenient in ((True, "Grüße"), (False, "Gr\ufffd\ufffde")):
        response = post_form_bytes(
            client, base_url + SMS, latin1, form | {"Body": lenient}, raw_body=raw_body
        )
        assert response.status_code == 400, response.text
        assert "'Body' is not valid UTF-8" in response.json()["detail"]
    assert settle(hub) == before


def test_an_sms_webhook_in_utf8_arrives_intact_percent_encoded_or_not(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    for n, raw_body in ((72, False), (73, True)):
        number = f"+49151123456{n}"
        form = inbound_sms_form(n, number, "Grüße aus Köln")
        raw = {k: v.encode() for k, v in form.items()}
        response = post_form_bytes(client, base_url + SMS, raw, form, raw_body=raw_body)
        assert response.status_code == 200, response.text
        [customer] = wait_until(
            lambda q=number: api.get("/customers", params={"q": q}).json()["items"]
        )
        [item] = api.get(f"/customers/{customer['customer_id']}/timeline").json()["items"]
        assert item["summary"] == "Grüße aus Köln"


def test_a_mailgun_text_field_that_is_not_utf8_is_400_and_records_nothing(
    hub: Hub, client: httpx.Client, base_url: str
) -> None:
    fields = {k: v.encode() for k, v in mailgun_fields().items()} | {
        "from": b"anna@example.de",
        "recipient": OUR_ADDRESS.encode(),
        "subject": b"Hallo",
        "body-plain": b"\xff\xfe kaputt",
    }
    body, headers = multipart(fields)
    before = settle(hub)
    response = client.post(base_url + MAILGUN, content=body, headers=headers)
    assert response.status_code == 400, response.text
    assert "'body-plain' is not valid UTF-8" in response.json()["detail"]
    assert settle(hub) == before


def test_mailgun_raw_mime_in_its_own_charset_is_read_in_that_charset(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    mime = (
        b"From: bernd@example.de\r\nTo: service@hub.example.de\r\nSubject: Latin\r\n"
        b"Message-ID: <latin-raw@example.de>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n"
        b"\r\nGr\xfc\xdfe aus M\xfcnchen\r\n"
    )
    fields = {k: v.encode() for k, v in mailgun_fields().items()} | {"body-mime": mime}
    body, headers = multipart(fields)
    response = client.post(base_url + MAILGUN, content=body, headers=headers)
    assert response.status_code == 200, response.text
    interaction = response.json()["interaction_id"]
    item = wait_until(
        lambda: (r := api.get(f"/interactions/{interaction}")).status_code == 200 and r.json()
    )
    assert item["summary"] == "Latin — Grüße aus München"


def test_a_mailgun_form_far_beyond_the_message_size_limit_is_413_and_records_nothing(
    hub: Hub, client: httpx.Client, base_url: str
) -> None:
    fields = {k: v.encode() for k, v in mailgun_fields().items()} | {
        "from": b"anna@example.de",
        "body-plain": b"x" * (2 * MAX_MESSAGE_BYTES + (1 << 20) + 1),
    }
    body, headers = multipart(fields)
    before = settle(hub)
    response = client.post(base_url + MAILGUN, content=body, headers=headers)
    assert response.status_code == 413, response.text
    assert settle(hub) == before
