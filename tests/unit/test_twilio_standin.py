"""The Twilio stand-in and the SMS sender, against each other over real HTTP."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, cast
from urllib.parse import parse_qsl

import httpx
import pytest
from twilio.request_validator import RequestValidator

from adapters.sms.sender import SendFailed, SentMessage, TwilioMessageSender
from tests.support.twilio_standin import TwilioStandIn, message_status_params

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "standin-auth-token-0123456789abcd"
FROM = "+4930123456789"
TO = "+4915112345678"
CALLBACK = "https://hub.example.test/webhooks/twilio/sms/status"


class _Validator(Protocol):
    def validate(self, uri: str, params: dict[str, str], signature: str) -> bool: ...


class _ValidatorFactory(Protocol):
    def __call__(self, token: str) -> _Validator: ...


# twilio's RequestValidator carries no annotations.
_validator = cast(_ValidatorFactory, RequestValidator)


@pytest.fixture
def twilio() -> Iterator[TwilioStandIn]:
    with TwilioStandIn(ACCOUNT_SID, AUTH_TOKEN) as standin:
        yield standin


@pytest.fixture
def sender(twilio: TwilioStandIn) -> TwilioMessageSender:
    return TwilioMessageSender(ACCOUNT_SID, AUTH_TOKEN, api_base=twilio.base_url)


def _send(sender: TwilioMessageSender, to: str = TO) -> SentMessage:
    return sender.send(
        to=to, from_=FROM, body="Ihre Reklamation ist eingegangen.", status_callback=CALLBACK
    )


def test_send_creates_the_message_twilio_received(
    twilio: TwilioStandIn, sender: TwilioMessageSender
) -> None:
    sent = _send(sender)

    assert re.fullmatch(r"SM[0-9a-f]{32}", sent.sid)
    assert sent.status == "queued"
    [message] = twilio.messages
    assert message.sid == sent.sid
    assert message.params == {
        "To": TO,
        "From": FROM,
        "Body": "Ihre Reklamation ist eingegangen.",
        "StatusCallback": CALLBACK,
    }
    assert twilio.calls == []


def test_no_status_callback_param_when_none_is_given(
    twilio: TwilioStandIn, sender: TwilioMessageSender
) -> None:
    sender.send(to=TO, from_=FROM, body="Hallo", status_callback=None)

    assert "StatusCallback" not in twilio.messages[0].params


def test_message_resource_has_twilios_shape(
    twilio: TwilioStandIn, sender: TwilioMessageSender
) -> None:
    sent = _send(sender)
    resource = twilio.find(sent.sid).resource

    assert set(resource) == {
        "account_sid", "api_version", "body", "date_created", "date_sent", "date_updated",
        "direction", "error_code", "error_message", "from", "messaging_service_sid",
        "num_media", "num_segments", "price", "price_unit", "sid", "status",
        "subresource_uris", "to", "uri",
    }  # fmt: skip
    assert resource["account_sid"] == ACCOUNT_SID
    assert resource["api_version"] == "2010-04-01"
    assert resource["direction"] == "outbound-api"
    assert resource["error_code"] is None and resource["error_message"] is None
    assert resource["price"] is None and resource["price_unit"] == "USD"
    assert resource["num_media"] == "0" and resource["num_segments"] == "1"
    assert resource["date_sent"] is None  # a queued message has not been sent yet
    created = parsedate_to_datetime(resource["date_created"])
    assert created.utcoffset() == timedelta(0)
    assert resource["date_created"].endswith(" +0000")
    uri = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sent.sid}"
    assert resource["uri"] == f"{uri}.json"
    assert resource["subresource_uris"] == {"media": f"{uri}/Media.json"}


def test_wrong_auth_token_is_a_permanent_20003(twilio: TwilioStandIn) -> None:
    sender = TwilioMessageSender(ACCOUNT_SID, "not-the-token", api_base=twilio.base_url)

    with pytest.raises(SendFailed) as caught:
        _send(sender)

    assert caught.value.code == 20003
    assert caught.value.transient is False
    assert twilio.messages == []
    assert [(r.status, r.code) for r in twilio.rejected] == [(401, 20003)]


def test_wire_format_of_a_401_is_twilios() -> None:
    with TwilioStandIn(ACCOUNT_SID, AUTH_TOKEN) as twilio:
        response = httpx.post(
            f"{twilio.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
            data={"To": TO, "From": FROM, "Body": "x"},
            auth=(ACCOUNT_SID, "wrong"),
        )
    assert response.status_code == 401
    assert response.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"From": FROM, "Body": "x"}, 21604),
        ({"To": TO, "From": FROM}, 21602),
        ({"To": "015112345678", "From": FROM, "Body": "x"}, 21211),
        ({"To": TO, "Body": "x"}, 21603),
    ],
)
def test_invalid_creates_get_twilios_400s(
    twilio: TwilioStandIn, form: dict[str, str], code: int
) -> None:
    response = httpx.post(
        f"{twilio.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
        data=form,
        auth=(ACCOUNT_SID, AUTH_TOKEN),
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code and body["status"] == 400
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert twilio.requests == []


def test_invalid_to_is_a_permanent_21211(
    twilio: TwilioStandIn, sender: TwilioMessageSender
) -> None:
    with pytest.raises(SendFailed) as caught:
        _send(sender, to="+49 151 12345678")

    assert caught.value.code == 21211
    assert caught.value.transient is False


@pytest.mark.parametrize("status", [503, 500, 429])
def test_fail_next_gives_a_transient_failure_once(
    twilio: TwilioStandIn, sender: TwilioMessageSender, status: int
) -> None:
    code = 20500 if status != 429 else 20429
    twilio.fail_next(status, code, "Service unavailable")

    if status == 500:
        # Twilio may have acted on a 500: the sender reports it, never retries it.
        with pytest.raises(SendFailed) as caught:
            _send(sender)
        assert caught.value.transient is True
        assert caught.value.code == code
        assert twilio.messages == []
        assert _send(sender).status == "queued"  # only the next create failed
    else:
        # 503 and 429 say Twilio did nothing: the sender's retry (adapters/retry.py)
        # takes the next answer, which the stand-in no longer fails.
        assert _send(sender).status == "queued"
    [rejected] = twilio.rejected
    assert (rejected.status, rejected.code) == (status, code)
    assert len(twilio.messages) == 1


def test_fail_next_with_a_4xx_is_permanent(
    twilio: TwilioStandIn, sender: TwilioMessageSender
) -> None:
    twilio.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")

    with pytest.raises(SendFailed) as caught:
        _send(sender)
    assert (caught.value.code, caught.value.transient) == (21610, False)


def test_stopped_standin_is_a_transient_failure(twilio: TwilioStandIn) -> None:
    sender = TwilioMessageSender(ACCOUNT_SID, AUTH_TOKEN, api_base=twilio.base_url)
    _send(sender)  # reachable, and the connection used is not kept for later
    twilio.stop()

    with pytest.raises(SendFailed) as caught:
        _send(sender)
    assert caught.value.transient is True
    assert caught.value.code is None


def test_non_json_5xx_from_a_proxy_has_no_twilio_code() -> None:
    """twilio puts the HTTP status into `code` for a non-JSON error; the sender drops it."""

    class BadGateway(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            page = b"<html>502 Bad Gateway</html>"
            self.send_response(502)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), BadGateway)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        port = server.server_address[1]
        sender = TwilioMessageSender(ACCOUNT_SID, AUTH_TOKEN, api_base=f"http://127.0.0.1:{port}")
        with pytest.raises(SendFailed) as caught:
            _send(sender)
    finally:
        server.shutdown()
        server.server_close()
    assert caught.value.transient is True
    assert caught.value.code is None


def test_twilio_region_in_the_environment_does_not_redirect_the_sender(
    twilio: TwilioStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # twilio rewrites the host to product.edge.region.twilio.com when these are set.
    monkeypatch.setenv("TWILIO_REGION", "ie1")
    monkeypatch.setenv("TWILIO_EDGE", "dublin")
    sender = TwilioMessageSender(ACCOUNT_SID, AUTH_TOKEN, api_base=twilio.base_url)

    assert _send(sender).sid == twilio.messages[0].sid


def test_empty_credentials_are_refused() -> None:
    with pytest.raises(ValueError):
        TwilioMessageSender("", AUTH_TOKEN)


def test_create_call_answers_twilios_call_resource(twilio: TwilioStandIn) -> None:
    response = httpx.post(
        f"{twilio.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json",
        data={
            "To": "+14155551212",
            "From": FROM,
            "Url": "https://hub.example.test/webhooks/twilio/voice",
            "StatusCallback": "https://hub.example.test/webhooks/twilio/voice/status",
            "StatusCallbackEvent": ["initiated", "completed"],
        },
        auth=(ACCOUNT_SID, AUTH_TOKEN),
    )

    assert response.status_code == 201
    call = response.json()
    assert re.fullmatch(r"CA[0-9a-f]{32}", call["sid"])
    assert call["status"] == "queued" and call["direction"] == "outbound-api"
    assert call["to"] == "+14155551212" and call["to_formatted"] == "(415) 555-1212"
    assert call["from"] == FROM and call["api_version"] == "2010-04-01"
    assert call["uri"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{call['sid']}.json"
    assert call["start_time"] is None and call["duration"] is None
    [recorded] = twilio.calls
    assert recorded.sid == call["sid"]
    assert recorded.multi_params["StatusCallbackEvent"] == ["initiated", "completed"]
    assert twilio.messages == []


def test_create_call_without_url_or_twiml_is_21205(twilio: TwilioStandIn) -> None:
    response = httpx.post(
        f"{twilio.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json",
        data={"To": TO, "From": FROM},
        auth=(ACCOUNT_SID, AUTH_TOKEN),
    )
    assert (response.status_code, response.json()["code"]) == (400, 21205)


def test_message_status_params_are_twilios(
    twilio: TwilioStandIn, sender: TwilioMessageSender
) -> None:
    sent = _send(sender)

    params = message_status_params(twilio.find(sent.sid), "undelivered", error_code=30003)

    assert params == {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "ErrorCode": "30003",
        "From": FROM,
        "MessageSid": sent.sid,
        "MessageStatus": "undelivered",
        "SmsSid": sent.sid,
        "SmsStatus": "undelivered",
        "To": TO,
    }
    assert "ErrorCode" not in message_status_params(twilio.find(sent.sid), "delivered")


class _Receiver(BaseHTTPRequestHandler):
    """Records what arrives, answering 204 like a webhook endpoint would."""

    received: list[tuple[str, dict[str, str], dict[str, str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.received.append((self.path, dict(self.headers), dict(parse_qsl(body))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_status_callback_arrives_signed_so_requestvalidator_accepts_it(
    twilio: TwilioStandIn, sender: TwilioMessageSender
) -> None:
    sent = _send(sender)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.received = []
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/twilio/sms/status?tenant=a"
        params = message_status_params(twilio.find(sent.sid), "delivered")
        response = twilio.send_status_callback(url, params)
    finally:
        server.shutdown()
        server.server_close()

    assert response.status_code == 204
    [(path, headers, form)] = _Receiver.received
    assert path == "/webhooks/twilio/sms/status?tenant=a"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form == params
    validator = _validator(AUTH_TOKEN)
    assert validator.validate(url, form, headers["X-Twilio-Signature"])
    # and the check can fail: another token, or a tampered form
    assert not _validator("other-token").validate(url, form, headers["X-Twilio-Signature"])
    tampered = {**form, "MessageStatus": "failed"}
    assert not validator.validate(url, tampered, headers["X-Twilio-Signature"])
