"""The satisfaction API's shapes: sending an NPS survey, the CSAT / NPS figures."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.satisfaction import Csat, Nps
from services.app.satisfaction.analytics import SatisfactionReport


class SendSurvey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["nps"] = Field(
        description="Only nps: a case's CSAT survey goes out by itself after its resolution."
    )
    channel: Literal["sms", "email"]
    campaign_id: str | None = Field(
        default=None,
        max_length=200,
        description="The campaign sending it: each customer is surveyed once per campaign.",
    )


class SurveyOut(BaseModel):
    survey_id: UUID
    status: Literal["sent", "skipped", "already"] = Field(
        description="already: this survey went out (or was skipped) before; nothing new."
    )
    interaction_id: UUID | None = None
    reason: str = Field(default="", description="Why it was skipped.")


class CsatOut(BaseModel):
    responses: int
    satisfied: int = Field(description="Answers of 4 or 5.")
    csat: float | None = Field(description="Satisfied answers in % (null: no answers).")


class NpsOut(BaseModel):
    responses: int
    promoters: int = Field(description="Answers of 9 or 10.")
    passives: int = Field(description="Answers of 7 or 8.")
    detractors: int = Field(description="Answers of 0 to 6.")
    nps: float | None = Field(description="% promoters minus % detractors (null: no answers).")


class SatisfactionGroupOut(BaseModel):
    period: str = Field(description="2026-12 (month), 2026-W49 (week) or 2026-12-02 (day).")
    group: str = Field(description="The queue, agent, product or channel; `-` for none.")
    csat: CsatOut
    nps: NpsOut


class SatisfactionOut(BaseModel):
    by: str
    period: str
    csat: CsatOut = Field(description="All CSAT answers.")
    nps: NpsOut = Field(description="All NPS answers.")
    groups: list[SatisfactionGroupOut]


def csat_of(c: Csat) -> CsatOut:
    return CsatOut(responses=c.responses, satisfied=c.satisfied, csat=c.score)


def nps_of(n: Nps) -> NpsOut:
    return NpsOut(
        responses=n.responses,
        promoters=n.promoters,
        passives=n.passives,
        detractors=n.detractors,
        nps=n.score,
    )


def satisfaction_of(report: SatisfactionReport) -> SatisfactionOut:
    return SatisfactionOut(
        by=report.by,
        period=report.period,
        csat=csat_of(report.csat),
        nps=nps_of(report.nps),
        groups=[
            SatisfactionGroupOut(
                period=g.period, group=g.group, csat=csat_of(g.csat), nps=nps_of(g.nps)
            )
            for g in report.groups
        ],
    )
