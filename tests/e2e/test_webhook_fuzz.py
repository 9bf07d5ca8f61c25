"""Every webhook parser, fed what a provider could send, correctly signed
(issue 18, item 3): a clear 2xx or 4xx with a JSON or TwiML answer, never a
5xx. Property tests with hypothesis against a real hub on loopback HTTP,
deterministic (derandomize) and few examples each, so the file stays quick.

The forms mix the fields each provider really sends with values a provider
could put there (empty, very long, control characters, other encodings' text,
numbers where text is expected) and unknown extra fields.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.email.verify import mailgun_signature
from adapters.post.verify import HEADER as POST_HEADER
from adapters.post.verify import post_signature
from services.infra.auth import Role
from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.hub import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, post_signed, running_hub
from tests.support.ports import free_port

MAILGUN_KEY = "mailgun-fuzz-key"
POST_SECRET = "post-fuzz-secret"
FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# What a provider could put in a field: real-looking values and hostile ones.
values = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "+4917612345678",
            "whatsapp:+4917612345678",
            "0",
            "-1",
            "99999999999",
            "completed",
            "failed",
            "in-progress",
            "SM" + "0" * 32,
            "CA" + "f" * 32,
            "http://127.0.0.1:9/x.wav",
            ACCOUNT_SID,
            OUR_NUMBER,
            "Grüße 🎉",
            "\x00\x1b[2J",
        ]
    ),
    st.text(max_size=300),
)

SMS_FIELDS = [
    "MessageSid",
    "SmsSid",
    "AccountSid",
    "From",
    "To",
    "Body",
    "NumMedia",
    "MediaUrl0",
    "MediaContentType0",
    "MessageStatus",
    "SmsStatus",
    "ErrorCode",
    "ApiVersion",
    "ProfileName",
    "WaId",
    "ButtonText",
]
VOICE_FIELDS = [
    "CallSid",
    "AccountSid",
    "From",
    "To",
    "CallStatus",
    "Direction",
    "CallDuration",
    "DialCallStatus",
    "RecordingUrl",
    "RecordingSid",
    "RecordingDuration",
    "RecordingStatus",
    "TranscriptionText",
]


def forms(fields: list[str]) -> st.SearchStrategy[dict[str, str]]:
    known = st.dictionaries(st.sampled_from(fields), values, max_size=len(fields))
    extra = st.dictionaries(st.text(min_size=1, max_size=20), values, max_size=3)
    return st.builds(lambda a, b: {**b, **a}, known, extra)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Hub]]:
    port = free_port()
    hub_settings = Settings(
        data_dir=tmp_path_factory.mktemp("fuzz") / "data",
        public_url=f"http://127.0.0.1:{port}",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from_number=OUR_NUMBER,
        mailgun_signing_key=MAILGUN_KEY,
        post_webhook_secret=POST_SECRET,
        quiet_hours="",
        _env_file=None,  # type: ignore[call-arg]
    )
    with running_hub(hub_settings, port) as hub:
        yield f"http://127.0.0.1:{port}", hub


@pytest.fixture(scope="module")
def base_url(served: tuple[str, Hub]) -> str:
    return served[0]


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


def assert_answered(response: httpx.Response, seen: set[int]) -> None:
    """2xx or a 4xx with its reason; never a server error."""
    seen.add(response.status_code)
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if response.status_code >= 400:
        assert response.json()["detail"], response.text


def assert_got_past_the_signature(seen: set[int]) -> None:
    """The requests were signed right: the parsers, not the signature check, answered."""
    assert seen - {401, 403}, seen


@pytest.mark.parametrize(
    "path",
    ["/webhooks/twilio/sms", "/webhooks/twilio/sms/status?interaction=x"],
)
def test_twilio_messaging_webhooks_answer_any_signed_form(
    base_url: str, client: httpx.Client, path: str
) -> None:
    @FUZZ
    @given(form=forms(SMS_FIELDS))
    def answers(form: dict[str, str]) -> None:
        assert_answered(post_signed(client, base_url, path, form), seen)

    seen: set[int] = set()
    answers()
    assert_got_past_the_signature(seen)


@pytest.mark.parametrize(
    "path",
    [
        "/webhooks/twilio/voice",
        "/webhooks/twilio/voice?step=dialed",
        "/webhooks/twilio/voice/status",
        "/webhooks/twilio/voice/recording?interaction=00000000-0000-0000-0000-000000000001",
    ],
)
def test_twilio_voice_webhooks_answer_any_signed_form(
    base_url: str, client: httpx.Client, path: str
) -> None:
    @FUZZ
    @given(form=forms(VOICE_FIELDS))
    def answers(form: dict[str, str]) -> None:
        assert_answered(post_signed(client, base_url, path, form), seen)

    seen: set[int] = set()
    answers()
    assert_got_past_the_signature(seen)


MAILGUN_FIELDS = [
    "recipient",
    "sender",
    "from",
    "subject",
    "body-plain",
    "body-html",
    "stripped-text",
    "Message-Id",
    "In-Reply-To",
    "References",
    "To",
    "message-headers",
    "attachment-count",
    "body-mime",
]
mime_bodies = st.one_of(
    st.text(max_size=400),
    st.builds(
        lambda frm, subject, body: f"From: {frm}\r\nSubject: {subject}\r\n\r\n{body}",
        values,
        values,
        st.text(max_size=200),
    ),
)


def test_the_email_inbound_parse_webhook_answers_any_signed_form(
    base_url: str, client: httpx.Client
) -> None:
    @FUZZ
    @given(
        form=forms([f for f in MAILGUN_FIELDS if f != "body-mime"]),
        mime=st.none() | mime_bodies,
        n=st.integers(min_value=0),
    )
    def answers(form: dict[str, str], mime: str | None, n: int) -> None:
        token = f"fuzz{n}"
        stamp = str(int(time.time()))
        signed = {
            "timestamp": stamp,
            "token": token,
            "signature": mailgun_signature(MAILGUN_KEY, stamp, token),
        }
        if mime is not None:
            form = {**form, "body-mime": mime}
        response = client.post(base_url + "/webhooks/email/mailgun", data={**form, **signed})
        assert_answered(response, seen)

    seen: set[int] = set()
    answers()
    assert_got_past_the_signature(seen)


json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | values,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)
letter_reports = st.fixed_dictionaries(
    {},
    optional={
        "letter_id": st.uuids().map(str) | values,
        "status": st.sampled_from(["printed", "posted", "returned", "failed", "lost"]) | values,
        "reference": values,
        "reason": values,
        "occurred_at": st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()) | values,
    },
)


def test_the_letter_status_webhook_answers_any_signed_body(
    base_url: str, client: httpx.Client
) -> None:
    @FUZZ
    @given(report=letter_reports | json_values, raw=st.none() | st.binary(max_size=200))
    def answers(report: Any, raw: bytes | None) -> None:
        body = raw if raw is not None else json.dumps(report).encode()
        response = client.post(
            base_url + "/webhooks/post/status",
            content=body,
            headers={
                POST_HEADER: post_signature(POST_SECRET, body),
                "Content-Type": "application/json",
            },
        )
        assert_answered(response, seen)

    seen: set[int] = set()
    answers()
    assert_got_past_the_signature(seen)


def test_inbound_letter_scans_answer_any_upload(
    served: tuple[str, Hub], client: httpx.Client
) -> None:
    """The scanned-letter upload (agents register what the post brought)."""
    base_url, hub = served
    token = hub.tokens.create(Role.AGENT, "agent.fuzz")

    @FUZZ
    @given(
        data=st.binary(max_size=2000)
        | st.builds(lambda tail: b"%PDF-1.4\n" + tail, st.binary(max_size=500)),
        fields=st.fixed_dictionaries(
            {
                "scan_id": values,
                "sender_name": values,
                "street": values,
                "postal_code": values,
                "city": values,
            }
        ),
    )
    def answers(data: bytes, fields: dict[str, str]) -> None:
        response = client.post(
            base_url + "/api/v1/letters/inbound",
            data=fields,
            files={"file": ("scan.pdf", data, "application/pdf")},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert_answered(response, seen)

    seen: set[int] = set()
    answers()
    assert_got_past_the_signature(seen)
