"""Click-to-call through Twilio's REST API: ring the agent, then the customer.

Twilio first calls the agent's phone (`to`); when the agent answers, it runs
the TwiML given inline, which dials the customer. A thin wrapper: it places
what it is given and reports Twilio's answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from twilio.rest.api.v2010.account.call import CallInstance

from adapters.retry import DEFAULT_BACKOFF, Backoff, retry_sync
from adapters.twilio_rest import (
    DEFAULT_TIMEOUT_SECONDS,
    SendFailed,
    is_unsent,
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
        backoff: Backoff = DEFAULT_BACKOFF,
    ) -> None:
        self._client = twilio_client(account_sid, auth_token, api_base, timeout_seconds)
        self._backoff = backoff

    def place(self, *, to: str, from_: str, twiml: str, status_callback: str) -> PlacedCall:
        calls = self._client.api.v2010.account.calls

        def create() -> CallInstance:
            with reported_as_send_failed("call"):
                return calls.create(
                    to=to,
                    from_=from_,
                    twiml=twiml,
                    status_callback=status_callback,
                    status_callback_event=STATUS_EVENTS,
                    status_callback_method="POST",
                )

        # Only what Twilio certainly did not place is tried again (`SendFailed.unsent`).
        created = retry_sync(create, is_unsent, self._backoff)
        sid: str | None = created.sid
        status: object = created.status
        if not sid or not isinstance(status, str):
            raise SendFailed(
                "Twilio answered without a call sid or status", code=None, transient=False
            )
        return PlacedCall(sid=sid, status=status)
