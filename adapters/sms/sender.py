"""Outbound SMS and WhatsApp messages through Twilio's REST API.

The one place that talks to the twilio library for sending messages, so the
rest of the code depends on two plain types (`SentMessage`, `SendFailed`)
instead of twilio's classes and requests' exceptions. It makes no decisions: it
sends what it is given and reports what Twilio answered; whether and when to
retry later is the caller's call, guided by `SendFailed.transient`. Right
away it retries only what Twilio certainly did not send (`SendFailed.unsent`:
no connection, or a 429/503 answer), with backoff (adapters/retry.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from twilio.rest.api.v2010.account.message import MessageInstance

from adapters.twilio_rest import DEFAULT_TIMEOUT_SECONDS, SendFailed, TwilioSender

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "SendFailed", "SentMessage", "TwilioMessageSender"]


@dataclass(frozen=True)
class SentMessage:
    """What Twilio answered when it accepted a message."""

    sid: str
    status: str


class TwilioMessageSender(TwilioSender):
    """Sends messages through one Twilio account; `api_base` points it elsewhere (tests)."""

    def send(self, *, to: str, from_: str, body: str, status_callback: str | None) -> SentMessage:
        """`to` and `from_` as Twilio wants them: E.164, or `whatsapp:+49...`."""
        messages = self._client.api.v2010.account.messages
        options = {} if status_callback is None else {"status_callback": status_callback}

        def create() -> MessageInstance:
            return messages.create(to=to, from_=from_, body=body, **options)

        sid, status = self._create("message", create)
        return SentMessage(sid=sid, status=status)
