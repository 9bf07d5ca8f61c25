"""Consent per channel, on the customer stream.

With no consent event for a channel, service contact over it is allowed; the
latest event for a channel decides (an opt-out stops all outbound sends).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from events.envelope import Channel, Event


class ConsentChanged(Event):
    """The customer opted in to or out of contact over one channel."""

    type: Literal["ConsentChanged"] = "ConsentChanged"
    channel: Channel
    granted: bool = Field(description="True: opted in; false: opted out.")
    changed_by: str | None = Field(default=None, description="The agent who recorded it.")
    source: str = Field(default="agent", description="How the customer told us, e.g. phone.")
