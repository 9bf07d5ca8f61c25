"""Request and response bodies of the operative CRM routes: opportunities,
the pipeline report, appointments and the visit briefing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from events import AppointmentKind, ReminderChannel
from services.entry.api.complaint_schemas import Complaint
from services.entry.api.schemas import Customer360

NAME = r"^\S(?:.*\S)?$"  # no leading or trailing blanks (agents' and stages' names)
# 10 trillion in major units: more than any opportunity, well within BIGINT.
MAX_MINOR = 10**15
AMOUNT = r"^(0|[1-9][0-9]{0,12})(\.[0-9]{1,2})?$"  # below MAX_MINOR // 100, two decimals


def minor_units(value: Decimal) -> int:
    """Amounts have two decimals (cents)."""
    return int(value * 100)


def major_units(value_minor: int) -> str:
    return f"{Decimal(value_minor) / 100:.2f}"


# Opportunities -----------------------------------------------------------------------


class OpenOpportunity(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: UUID
    title: str = Field(min_length=1, max_length=300)
    value: Annotated[
        Decimal,
        # Documented as a decimal string, the exact form of money in JSON (a number
        # is accepted too); the pattern is the whole rule, so the schema says it.
        WithJsonSchema({"type": "string", "pattern": AMOUNT, "examples": ["1250.00"]}),
    ] = Field(ge=0, lt=MAX_MINOR // 100, decimal_places=2, description="Expected value.")
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    owner: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        pattern=NAME,
        description="The owning agent; the caller when left out.",
    )
    stage: str | None = Field(
        default=None, min_length=1, max_length=60, description="The first stage (default: new)."
    )
    expected_close: date | None = None
    interaction_ids: list[UUID] = Field(default_factory=list, max_length=50)
    prospect_source: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Marks the customer a prospect found through this source "
        "(campaign, fair, website-form...).",
    )


class MoveStage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stage: str = Field(min_length=1, max_length=60)
    reason: str = Field(
        default="", max_length=500, description="Why it was won or lost (required for lost)."
    )


class Opportunity(BaseModel):
    opportunity_id: UUID
    customer_id: UUID
    title: str
    value: str = Field(description="In major units with two decimals.")
    value_minor: int
    currency: str
    stage: str
    owner: str
    expected_close: str | None
    opened_at: str
    opened_by: str
    stage_since: str
    close_reason: str
    order_id: str | None
    interaction_ids: list[UUID]


class OpportunityList(BaseModel):
    items: list[Opportunity]


def opportunity_from_row(row: dict[str, Any]) -> Opportunity:
    return Opportunity(
        **{k: row[k] for k in Opportunity.model_fields if k in row and k != "interaction_ids"},
        value=major_units(int(row["value_minor"])),
        interaction_ids=[UUID(i) for i in orjson.loads(row["interaction_ids"])],
    )


class StageFigures(BaseModel):
    stage: str
    count: int = Field(description="Opportunities standing in the stage now.")
    value: dict[str, str] = Field(description="Their value per currency, major units.")
    reached: int = Field(description="Opportunities that ever reached the stage.")
    converted_to_next: int | None = Field(
        description="Of those, how many reached the next open stage (after the last: won)."
    )
    conversion_rate: float | None
    mean_seconds_in_stage: float | None


class PipelineReport(BaseModel):
    generated_at: str
    stages: list[StageFigures]
    won_by_reason: dict[str, int]
    lost_by_reason: dict[str, int]
    win_rate: float | None


# Appointments ------------------------------------------------------------------------


class _Times(BaseModel):
    model_config = ConfigDict(extra="forbid")
    starts_at: AwareDatetime
    ends_at: AwareDatetime

    @model_validator(mode="after")
    def ends_after_start(self) -> _Times:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class ScheduleAppointment(_Times):
    customer_id: UUID
    agent: str = Field(min_length=1, max_length=200, pattern=NAME)
    kind: AppointmentKind
    location: str = Field(default="", max_length=500)
    timezone: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*$",
        description="IANA time zone of the appointment (default: CONTACTHUB_APPOINTMENT_TIMEZONE).",
    )
    reminder: ReminderChannel | Literal["none"] = Field(
        default="none", description="Remind the customer by sms or email, or not."
    )
    reminder_lead_minutes: int | None = Field(
        default=None,
        ge=0,
        le=60 * 24 * 30,
        description="How long before the start to remind "
        "(default: CONTACTHUB_APPOINTMENT_REMINDER_LEAD_MINUTES).",
    )


class Reschedule(_Times):
    pass


class Cancel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=500)


class Appointment(BaseModel):
    appointment_id: UUID
    customer_id: UUID
    agent: str
    starts_at: str
    ends_at: str
    timezone: str
    kind: str
    location: str
    status: Literal["scheduled", "cancelled"]
    sequence: int
    reminder_channel: str | None
    reminder_at: str | None
    reminder_status: str | None


def appointment_from_row(row: dict[str, Any]) -> Appointment:
    return Appointment.model_validate({k: row[k] for k in Appointment.model_fields})


# The visit briefing --------------------------------------------------------------------


class Briefing(BaseModel):
    """What an agent reads before a visit or call."""

    generated_at: str
    profile: Customer360 = Field(description="Profile, addresses, counts and the last contacts.")
    prospect_source: str | None = Field(description="Set if the customer is a prospect.")
    open_cases: list[Complaint]
    open_opportunities: list[Opportunity]
    upcoming_appointments: list[Appointment]


# The knowledge base --------------------------------------------------------------------

TAG = r"^[a-z0-9][a-z0-9-]{0,39}$"


class ArticleDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=300, pattern=r"\S")
    body_markdown: str = Field(min_length=1, max_length=100_000, pattern=r"\S")
    language: str = Field(default="de", pattern=r"^[a-z]{2}$")
    tags: list[Annotated[str, Field(pattern=TAG)]] = Field(default_factory=list, max_length=20)
    owner: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        pattern=NAME,
        description="Who keeps the article right; the caller when left out.",
    )


class ArticleEdit(ArticleDraft):
    base_revision: int | None = Field(
        default=None,
        ge=1,
        le=2**31,
        description="The revision the edit started from: 409 if the article moved on meanwhile.",
    )


class Rating(BaseModel):
    model_config = ConfigDict(extra="forbid")
    helpful: bool
    complaint_id: UUID | None = Field(default=None, description="The case it was used on.")


class Article(BaseModel):
    article_id: UUID
    revision: int
    title: str
    body_markdown: str
    language: str
    tags: list[str]
    owner: str
    created_at: str
    updated_at: str
    updated_by: str
    helpful: int
    unhelpful: int


class ArticleList(BaseModel):
    items: list[Article]


class SuggestedArticle(Article):
    score: int = Field(description="Case words in the title count two, in the body one.")
    matched: list[str] = Field(description="The case's words the article holds.")


class Suggestions(BaseModel):
    items: list[SuggestedArticle]


def article_from_row(row: dict[str, Any]) -> Article:
    fields = {k: row[k] for k in Article.model_fields if k != "tags"}
    return Article(**fields, tags=orjson.loads(row["tags"]))
