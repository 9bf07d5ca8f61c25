"""The TwiML documents the voice webhooks answer with, built with twilio's VoiceResponse.

Inbound: greeting, consent notice, then the agent's phone rings for a while;
if nobody answers, the caller hears the voicemail prompt and is recorded (with
a transcript). Click-to-call: once the agent picks up, the customer is dialled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twilio.twiml import voice_response

# twilio's TwiML builders carry no annotations; typed as Any here, checked by the tests
# (which parse every document with xml.etree).
VoiceResponse: Any = voice_response.VoiceResponse

EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

# Dial outcomes (DialCallStatus) after which the caller spoke to the agent.
ANSWERED = frozenset({"completed", "answered"})


@dataclass(frozen=True)
class VoiceScript:
    """What callers hear; from the settings."""

    greeting: str
    consent_notice: str
    voicemail_prompt: str
    goodbye: str
    connecting: str
    language: str
    agent_number: str
    dial_timeout: int
    record_calls: bool
    voicemail_max_seconds: int = 120


@dataclass(frozen=True)
class CallbackUrls:
    """Where Twilio reports back for one call (each signed by Twilio)."""

    dialed: str
    recorded: str
    recording: str


def answer_inbound(script: VoiceScript, urls: CallbackUrls) -> str:
    response = VoiceResponse()
    response.say(script.greeting, language=script.language)
    # The notice comes before anything is recorded: by staying on, the caller consents.
    response.say(script.consent_notice, language=script.language)
    if not script.agent_number:
        _voicemail(response, script, urls)
        return str(response.to_xml())
    options: dict[str, object] = {"timeout": script.dial_timeout, "action": urls.dialed}
    if script.record_calls:
        options.update(
            record="record-from-answer-dual",
            recording_status_callback=urls.recording,
            recording_status_callback_event="completed",
        )
    dial = response.dial(**options)
    dial.number(script.agent_number)
    return str(response.to_xml())


def after_dial(script: VoiceScript, urls: CallbackUrls, dial_status: str) -> str:
    """The caller's next step once the agent's phone stopped ringing or hung up."""
    response = VoiceResponse()
    if dial_status in ANSWERED:
        response.hangup()
    else:
        _voicemail(response, script, urls)
    return str(response.to_xml())


def after_voicemail(script: VoiceScript) -> str:
    response = VoiceResponse()
    response.say(script.goodbye, language=script.language)
    response.hangup()
    return str(response.to_xml())


def connect_customer(script: VoiceScript, *, customer: str, caller_id: str) -> str:
    """Click-to-call: the agent answered; now ring the customer, showing our number."""
    response = VoiceResponse()
    response.say(script.connecting, language=script.language)
    dial = response.dial(caller_id=caller_id, timeout=script.dial_timeout)
    dial.number(customer)
    return str(response.to_xml())


def _voicemail(response: Any, script: VoiceScript, urls: CallbackUrls) -> None:
    response.say(script.voicemail_prompt, language=script.language)
    # Without an action, Twilio would fetch the first webhook again after recording.
    response.record(
        action=urls.recorded,
        max_length=script.voicemail_max_seconds,
        play_beep=True,
        recording_status_callback=urls.recording,
        recording_status_callback_event="completed",
        transcribe=True,
        transcribe_callback=urls.recording,
    )
