"""Voice through Twilio over real HTTP: TwiML answers, signed callbacks (late,
repeated, out of order), click-to-call through the loopback Twilio stand-in,
and agents' call notes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import httpx
import pytest

from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.hub import (
    ACCOUNT_SID,
    OUR_NUMBER,
    inbound_sms_form,
    post_signed,
    settle,
    wait_until,
)
from tests.support.twilio_standin import TwilioStandIn

AGENT = "+4930901820999"
CALLER = "+4917698765432"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"voice_agent_number": AGENT, "voice_dial_timeout": 25})


def call_sid(n: int) -> str:
    return f"CA{n:032x}"


def incoming_call(n: int, caller: str = CALLER) -> dict[str, str]:
    return {
        "CallSid": call_sid(n),
        "AccountSid": ACCOUNT_SID,
        "From": caller,
        "To": OUR_NUMBER,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }


def status_form(sid: str, status: str, duration: int | None = None) -> dict[str, str]:
    form = {"CallSid": sid, "AccountSid": ACCOUNT_SID, "CallStatus": status}
    if duration is not None:
        form["CallDuration"] = str(duration)
    return form


def recording_form(sid: str, n: int, source: str = "RecordVerb") -> dict[str, str]:
    return {
        "CallSid": sid,
        "AccountSid": ACCOUNT_SID,
        "RecordingSid": f"RE{n:032x}",
        "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE{n:032x}",
        "RecordingStatus": "completed",
        "RecordingDuration": "17",
        "RecordingSource": source,
    }


def transcription_form(sid: str, n: int, text: str) -> dict[str, str]:
    return {
        "CallSid": sid,
        "AccountSid": ACCOUNT_SID,
        "TranscriptionSid": f"TR{n:032x}",
        "TranscriptionStatus": "completed",
        "TranscriptionText": text,
        "RecordingSid": f"RE{n:032x}",
        "RecordingUrl": f"https://api.twilio.com/Recordings/RE{n:032x}",
    }


def twiml(response: httpx.Response) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "Response"
    return root


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_inbound_call_gets_twiml_and_callbacks_in_any_order_leave_one_complete_call(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    root = twiml(post_signed(client, base_url, "/webhooks/twilio/voice", incoming_call(1)))
    says = [el.text for el in root.findall("Say")]
    assert says == [hub.settings.voice_greeting, hub.settings.voice_consent_notice]
    assert all(el.get("language") == "de-DE" for el in root.findall("Say"))
    [dial] = root.findall("Dial")
    assert dial.get("timeout") == "25"
    assert dial.get("record") == "record-from-answer-dual"
    assert dial.get("recordingStatusCallback") == base_url + "/webhooks/twilio/voice/recording"
    assert query_of(dial.get("action", "")) == {"step": ["dialed"]}
    assert [n.text for n in dial.findall("Number")] == [AGENT]
    # The consent notice comes before the Dial that records.
    assert [el.tag for el in root] == ["Say", "Say", "Dial"]

    # Nobody answered: voicemail with a recording and its transcript.
    dialed = {**incoming_call(1), "DialCallStatus": "no-answer", "CallStatus": "in-progress"}
    voicemail = twiml(post_signed(client, base_url, "/webhooks/twilio/voice?step=dialed", dialed))
    assert [el.tag for el in voicemail] == ["Say", "Record"]
    assert voicemail.find("Say").text == hub.settings.voice_voicemail_prompt  # type: ignore[union-attr]
    record = voicemail.find("Record")
    assert record is not None
    assert record.get("transcribe") == "true"
    assert record.get("transcribeCallback") == base_url + "/webhooks/twilio/voice/recording"
    assert record.get("recordingStatusCallback") == base_url + "/webhooks/twilio/voice/recording"
    assert query_of(record.get("action", "")) == {"step": ["recorded"]}
    goodbye = twiml(post_signed(client, base_url, "/webhooks/twilio/voice?step=recorded", dialed))
    assert [el.tag for el in goodbye] == ["Say", "Hangup"]

    sid = call_sid(1)
    text = "Hallo, hier ist Frau Weber, bitte rufen Sie mich wegen der Rechnung zurück."
    callbacks = [
        ("/recording", transcription_form(sid, 7, text)),  # the text before its recording
        ("/status", status_form(sid, "completed", 63)),
        ("/recording", recording_form(sid, 7)),
        ("/status", status_form(sid, "ringing")),  # late
        ("/status", status_form(sid, "in-progress")),  # late
        ("/status", status_form(sid, "completed", 63)),  # repeated
        ("/recording", recording_form(sid, 7)),  # repeated
        ("/recording", transcription_form(sid, 7, text)),  # repeated
    ]
    for path, form in callbacks:
        answer = post_signed(client, base_url, "/webhooks/twilio/voice" + path, form)
        assert answer.status_code == 200, answer.text

    settle(hub)  # every callback is recorded and projected
    [customer] = api.get("/customers", params={"q": CALLER}).json()["items"]
    [call] = api.get(f"/customers/{customer['customer_id']}/timeline").json()["items"]
    assert call["channel"] == "voice" and call["direction"] == "inbound"
    assert call["status"] == "completed"
    assert call["duration_seconds"] == 63
    assert call["recording_url"].endswith(f"/Recordings/RE{7:032x}")
    assert call["transcript"] == text
    assert call["outcome"] == "voicemail"
    assert call["address"] == CALLER and call["provider_id"] == sid
    # The interaction whole: its body is the transcript.
    assert api.get(f"/interactions/{call['interaction_id']}").json()["body"] == text
    stream = hub.store.stream(UUID(call["interaction_id"]))
    assert [e.type for e in stream] == [
        "CallReceived",
        "TranscriptAttached",
        "CallStatusChanged",
        "RecordingAttached",
    ]
    # The transcript is found by search.
    found = api.get("/customers", params={"q": "wegen der Rechnung"}).json()["items"]
    assert [c["customer_id"] for c in found] == [customer["customer_id"]]


def test_the_same_call_webhook_twice_is_one_call(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    for _ in range(2):
        twiml(post_signed(client, base_url, "/webhooks/twilio/voice", incoming_call(2)))
    [customer] = wait_until(lambda: api.get("/customers", params={"q": CALLER}).json()["items"])
    assert customer["interaction_count"] == 1


def test_answered_call_hangs_up_after_the_agent(
    hub: Hub, client: httpx.Client, base_url: str
) -> None:
    twiml(post_signed(client, base_url, "/webhooks/twilio/voice", incoming_call(3)))
    dialed = {**incoming_call(3), "DialCallStatus": "completed"}
    root = twiml(post_signed(client, base_url, "/webhooks/twilio/voice?step=dialed", dialed))
    assert [el.tag for el in root] == ["Hangup"]


@pytest.mark.parametrize("path", ["", "/status", "/recording"])
def test_a_wrong_signature_on_any_voice_webhook_is_403_and_records_nothing(
    hub: Hub, client: httpx.Client, base_url: str, path: str
) -> None:
    twiml(post_signed(client, base_url, "/webhooks/twilio/voice", incoming_call(4)))
    before = hub.store.max_notification_id()
    forms = {
        "": incoming_call(5),
        "/status": status_form(call_sid(4), "completed", 5),
        "/recording": recording_form(call_sid(4), 9),
    }
    url = "/webhooks/twilio/voice" + path
    forged = post_signed(client, base_url, url, forms[path], token="not-the-auth-token")
    assert forged.status_code == 403
    unsigned = client.post(base_url + url, data=forms[path])
    assert unsigned.status_code == 403
    assert hub.store.max_notification_id() == before


def test_malformed_or_unknown_call_callbacks_change_nothing(
    hub: Hub, client: httpx.Client, base_url: str
) -> None:
    twiml(post_signed(client, base_url, "/webhooks/twilio/voice", incoming_call(6)))
    before = hub.store.max_notification_id()
    bad = post_signed(
        client, base_url, "/webhooks/twilio/voice/status", status_form(call_sid(6), "exploded")
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["CallStatus"]
    no_caller = {k: v for k, v in incoming_call(8).items() if k != "From"}
    assert post_signed(client, base_url, "/webhooks/twilio/voice", no_caller).status_code == 422
    unknown = post_signed(
        client, base_url, "/webhooks/twilio/voice/status", status_form(call_sid(99), "completed")
    )
    assert unknown.status_code == 404
    assert hub.store.max_notification_id() == before


def a_customer(client: httpx.Client, base_url: str, api: Any, phone: str) -> str:
    post_signed(client, base_url, "/webhooks/twilio/sms", inbound_sms_form(77, phone, "Hallo"))
    found = wait_until(lambda: api.get("/customers", params={"q": phone}).json()["items"])
    return str(found[0]["customer_id"])


def test_click_to_call_rings_the_agent_then_the_customer_and_notes_land_on_the_call(
    hub: Hub, client: httpx.Client, base_url: str, api: Any, twilio: TwilioStandIn
) -> None:
    customer = "+4915112345678"
    customer_id = a_customer(client, base_url, api, customer)
    response = api.post(f"/customers/{customer_id}/calls", json={"agent_phone": "030 1234567"})
    assert response.status_code == 202, response.text
    placed = response.json()
    assert placed["status"] == "queued"

    [request] = twilio.calls
    assert placed["provider_call_id"] == request.sid
    assert request.params["To"] == "+49301234567"  # the agent first
    assert request.params["From"] == OUR_NUMBER
    callback = request.params["StatusCallback"]
    assert callback == (
        f"{base_url}/webhooks/twilio/voice/status?interaction={placed['interaction_id']}"
    )
    assert "completed" in request.multi_params["StatusCallbackEvent"]
    then = ET.fromstring(request.params["Twiml"])
    [dial] = then.findall("Dial")
    assert dial.get("callerId") == OUR_NUMBER
    assert [n.text for n in dial.findall("Number")] == [customer]  # then the customer

    for status, duration in (("completed", 95), ("ringing", None), ("in-progress", None)):
        answer = twilio.send_status_callback(callback, status_form(request.sid, status, duration))
        assert answer.status_code == 200, answer.text

    note = api.post(
        f"/customers/{customer_id}/call-notes",
        json={
            "interaction_id": placed["interaction_id"],
            "outcome": "callback-requested",
            "notes": "Kundin ruft nach Rücksprache zurück.",
        },
    )
    assert note.status_code == 201, note.text
    call = api.get(f"/interactions/{placed['interaction_id']}").json()
    assert call["direction"] == "outbound" and call["agent"] == "agent.test"
    assert call["status"] == "completed" and call["duration_seconds"] == 95
    assert call["outcome"] == "callback-requested"
    assert call["notes"] == "Kundin ruft nach Rücksprache zurück."


def test_a_call_made_outside_twilio_is_noted_into_the_timeline(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    customer_id = a_customer(client, base_url, api, "+4915112345679")
    body = {
        "outcome": "reached",
        "notes": "Vom Diensthandy angerufen, Termin bestätigt.",
        "direction": "outbound",
        "duration_seconds": 120,
        "occurred_at": "2025-03-04T10:15:00+01:00",
    }
    headers = {"Idempotency-Key": "handy-0304-1"}
    first = api.post(f"/customers/{customer_id}/call-notes", json=body, headers=headers)
    again = api.post(f"/customers/{customer_id}/call-notes", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    calls = [
        i
        for i in api.get(f"/customers/{customer_id}/timeline").json()["items"]
        if i["channel"] == "voice"
    ]
    [call] = calls
    assert call["outcome"] == "reached" and call["duration_seconds"] == 120
    assert call["address"] == "+4915112345679"
    assert call["occurred_at"].startswith("2025-03-04T09:15:00")
    bad = api.post(f"/customers/{customer_id}/call-notes", json={"outcome": "Bad Outcome!"})
    assert bad.status_code == 422
