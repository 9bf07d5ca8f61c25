"""Click-to-call through Twilio's REST API: ring the agent, then the customer.

Twilio first calls the agent's phone (`to`); when the agent answers, it runs
the TwiML given inline, which dials the customer. A thin wrapper: it places
what it is given and reports Twilio's answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.twilio_rest import (
    DEFAULT_TIMEOUT_SECONDS,
    SendFailed,
    reported_as_send_failed,
    twilio_client,
)

# The StatusCallbackEvent values Twilio reports when asked (answered -> in-progress).
STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]


@dataclass(frozen=True)
class PlacedCall:
    sid: str
    status: str


class TwilioCallPlacer:
    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        api_base: str | None = None,
        *,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self._client = twilio_client(account_sid, auth_token, api_base, timeout_seconds)

    def place(self, *, to: str, from_: str, twiml: str, status_callback: str) -> PlacedCall:
        calls = self._client.api.v2010.account.calls
        with reported_as_send_failed("call"):
            created = calls.create(
                to=to,
                from_=from_,
                twiml=twiml,
                status_callback=status_callback,
                status_callback_event=STATUS_EVENTS,
                status_callback_method="POST",
            )
        sid: str | None = created.sid
        status: object = created.status
        if not sid or not isinstance(status, str):
            raise SendFailed(
                "Twilio answered without a call sid or status", code=None, transient=False
            )
        return PlacedCall(sid=sid, status=status)
