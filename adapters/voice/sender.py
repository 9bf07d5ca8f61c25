"""Click-to-call through Twilio's REST API: ring the agent, then the customer.

Twilio first calls the agent's phone (`to`); when the agent answers, it runs
the TwiML given inline, which dials the customer. A thin wrapper: it places
what it is given and reports Twilio's answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from twilio.rest.api.v2010.account.call import CallInstance

from adapters.twilio_rest import TwilioSender

# The StatusCallbackEvent values Twilio reports when asked (answered -> in-progress).
STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]


@dataclass(frozen=True)
class PlacedCall:
    sid: str
    status: str


class TwilioCallPlacer(TwilioSender):
    """Places calls through one Twilio account; `api_base` points it elsewhere (tests)."""

    def place(self, *, to: str, from_: str, twiml: str, status_callback: str) -> PlacedCall:
        calls = self._client.api.v2010.account.calls

        def create() -> CallInstance:
            return calls.create(
                to=to,
                from_=from_,
                twiml=twiml,
                status_callback=status_callback,
                status_callback_event=STATUS_EVENTS,
                status_callback_method="POST",
            )

        # Only what Twilio certainly did not place is tried again (`SendFailed.unsent`).
        sid, status = self._create("call", create)
        return PlacedCall(sid=sid, status=status)
