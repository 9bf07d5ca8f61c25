"""Consent per channel and purpose, on the customer stream.

A purpose is why we contact: `service` (answers, notices about the customer's
own matters) or `marketing` (campaigns). With no event for a channel, service
contact over it is allowed and marketing is not. An event without a purpose
is channel-wide (an SMS `STOP`, or an agent's per-channel decision): it
decides every purpose until a later event for that purpose.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from events.envelope import Channel, Event

# Why we contact the customer: agent replies are `service`, campaigns `marketing`.
Purpose = Literal["service", "marketing"]
PURPOSES: tuple[Purpose, ...] = ("service", "marketing")


class ConsentChanged(Event):
    """The customer opted in to or out of contact over one channel (for a purpose)."""

    type: Literal["ConsentChanged"] = "ConsentChanged"
    channel: Channel
    granted: bool = Field(description="True: opted in; false: opted out.")
    # Optional, so events recorded before purposes existed read as channel-wide.
    purpose: Purpose | None = Field(
        default=None, description="service or marketing; null: every purpose of the channel."
    )
    changed_by: str | None = Field(default=None, description="The agent who recorded it.")
    source: str = Field(
        default="agent",
        description="How the customer told us: phone, sms-keyword, list-unsubscribe, ...",
    )
