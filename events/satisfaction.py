"""The survey stream: one stream per satisfaction survey, from sending to the answer.

A case's CSAT survey has an id derived from the case (`survey_id_for_case`), so
a case gets one survey at most, however often the worker runs, restarts or the
case is reopened and resolved again: its first event is version 1 of that
stream, and the store's unique (stream, version) refuses a second. An NPS
survey's id derives from its campaign and customer (or from the caller's
idempotency key), so a campaign surveys each customer once.

What the answers are grouped by (queue, agent, product) is copied onto
`SurveySent` as it was when the case was resolved: the analytics need no other
stream, and a later change to the case does not move old answers.
"""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from events.envelope import Event

SurveyKind = Literal["csat", "nps"]
SurveyChannel = Literal["sms", "email"]


class SurveySent(Event):
    """A survey went out to the customer as interaction `interaction_id`."""

    type: Literal["SurveySent"] = "SurveySent"
    kind: SurveyKind = Field(description="csat: a 1-5 rating of a case; nps: 0-10.")
    channel: SurveyChannel
    interaction_id: UUID = Field(description="The outbound SMS or email that carried it.")
    status: str = Field(description="The provider's first answer (accepted, failed, ...).")
    case_id: UUID | None = Field(default=None, description="The resolved case surveyed.")
    campaign_id: str | None = Field(default=None, description="The campaign that sent it.")
    queue: str | None = None
    agent: str | None = Field(default=None, description="Who had the case when resolved.")
    product: str | None = None
    expires_at: AwareDatetime = Field(description="Answers after this are not taken.")


class SurveySkipped(Event):
    """The survey could not go out (no consent, no address, a channel without
    surveys): recorded, so it is not tried again and the reason is visible."""

    type: Literal["SurveySkipped"] = "SurveySkipped"
    kind: SurveyKind
    channel: str | None
    case_id: UUID | None = None
    reason: str


class SurveyAnswered(Event):
    """The customer's rating: by an SMS reply (`interaction_id` is the reply) or
    a signed one-click link in the survey email. One answer per survey."""

    pii_fields: ClassVar[frozenset[str]] = frozenset({"comment"})

    type: Literal["SurveyAnswered"] = "SurveyAnswered"
    kind: SurveyKind
    score: int = Field(ge=0, le=10)
    channel: SurveyChannel
    interaction_id: UUID | None = Field(default=None, description="The SMS reply, if any.")
    comment: str = ""
