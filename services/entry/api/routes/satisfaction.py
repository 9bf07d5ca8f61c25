"""Satisfaction: send an NPS survey to one customer, and CSAT / NPS over time
by queue, agent, product or channel, as JSON and as an SVG chart.

A case's CSAT survey needs no route: the survey follower sends it after the
resolution (services/app/satisfaction/surveys.py).
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Header, Query, Response, status

from services.entry.api.deps import ActorDep, HubDep, PrincipalDep
from services.entry.api.read_your_writes import settled
from services.entry.api.reports.render import as_svg
from services.entry.api.satisfaction_schemas import (
    SatisfactionOut,
    SendSurvey,
    SurveyOut,
    satisfaction_of,
)

router = APIRouter(prefix="/api/v1", tags=["satisfaction"])

By = Annotated[Literal["queue", "agent", "product", "channel"], Query()]
PeriodQuery = Annotated[Literal["day", "week", "month"], Query()]


@router.post(
    "/customers/{customer_id}/surveys",
    status_code=status.HTTP_201_CREATED,
    summary="Send an NPS survey to the customer (SMS: reply 0-10; email: one-click links)",
    responses={
        404: {"description": "No such customer"},
        409: {"description": "Refused (opted out, quiet hours, channel not configured)"},
    },
)
async def send_survey(
    hub: HubDep,
    actor: ActorDep,
    customer_id: UUID,
    command: SendSurvey,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> SurveyOut:
    def run() -> SurveyOut:
        outcome = hub.surveys.send_nps_survey(
            customer_id, command.channel, command.campaign_id, idempotency_key=idempotency_key
        )
        settled(hub, outcome.notification_id)
        return SurveyOut(
            survey_id=outcome.survey_id,
            status=outcome.status,
            interaction_id=outcome.interaction_id,
            reason=outcome.reason,
        )

    return await anyio.to_thread.run_sync(run)


@router.get(
    "/analytics/satisfaction",
    summary="CSAT and NPS over time, by queue, agent, product or channel",
)
async def satisfaction(
    hub: HubDep, _: PrincipalDep, by: By = "queue", period: PeriodQuery = "month"
) -> SatisfactionOut:
    report = await anyio.to_thread.run_sync(hub.satisfaction.report, by, period)
    return satisfaction_of(report)


@router.get(
    "/reports/satisfaction.svg",
    summary="CSAT (or NPS) answers per period and group as an SVG stacked bar chart",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "The chart"}},
)
async def satisfaction_chart(
    hub: HubDep,
    _: PrincipalDep,
    by: By = "queue",
    period: PeriodQuery = "month",
    kind: Annotated[Literal["csat", "nps"], Query()] = "csat",
) -> Response:
    table = await anyio.to_thread.run_sync(hub.satisfaction.chart, by, period, kind)
    return Response(as_svg(table), media_type="image/svg+xml")
