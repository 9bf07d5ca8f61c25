"""The campaign streams: a templated newsletter, invitation, survey or product
information sent to a segment's members, with consent checked at send time.

A campaign is one stream (created, started with the members snapshot,
finished). Each member's send is a stream of its own whose id derives from the
campaign and the customer (`campaign_send_id`), so a restarted sender finds
what it already recorded and never sends twice.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from events.envelope import Event

CampaignChannel = Literal["sms", "whatsapp", "email", "letter"]
# `nps`: each member gets the hub's NPS survey (0-10) on the campaign's channel
# (sms or email); the answers count in /analytics/satisfaction.
CampaignKind = Literal["newsletter", "invitation", "survey", "product_info", "nps"]
SendOutcome = Literal["sent", "refused", "failed"]


class CampaignCreated(Event):
    """A campaign was defined; it sends nothing until it is started."""

    type: Literal["CampaignCreated"] = "CampaignCreated"
    name: str = Field(min_length=1, max_length=200)
    segment_id: UUID
    channel: CampaignChannel
    kind: CampaignKind
    subject: str = Field(default="", description="Email subject or letter heading.")
    body: str = Field(description="The template, with {first_name}-style placeholders.")
    attribution_window_days: int = Field(ge=0, le=365)
    throttle_per_minute: int = Field(ge=1, le=100_000)
    created_by: str


class CampaignStarted(Event):
    """The campaign started sending to its segment's members as of this moment."""

    type: Literal["CampaignStarted"] = "CampaignStarted"
    members: tuple[UUID, ...] = Field(description="The segment's members when it started.")
    started_by: str


class CampaignSendRecorded(Event):
    """One member's send and its outcome; `customer_id` is the member.

    `sent`: the provider accepted it (interaction `interaction_id`);
    `refused`: not sent, `reason` says why (no marketing consent, no address);
    `failed`: the provider refused it (`reason` is its error).
    """

    type: Literal["CampaignSendRecorded"] = "CampaignSendRecorded"
    campaign_id: UUID
    outcome: SendOutcome
    reason: str = ""
    interaction_id: UUID | None = None
    status: str = Field(default="", description="The interaction's status when recorded.")


class CampaignFinished(Event):
    """Every member of the snapshot has a recorded send."""

    type: Literal["CampaignFinished"] = "CampaignFinished"
    sends: int = Field(ge=0)
