"""Opportunities and the sales pipeline: open, move through the stages, list;
the pipeline report as JSON and as an SVG chart.

Commands answer with the opportunity as the read model shows it once it
includes the command (read-your-writes); unknown ids are 404, a move the
pipeline forbids is 409 (services/entry/api/errors.py).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Header, Query, Response, status

from domain.opportunities import NewOpportunity, OpportunityNotFound
from services.app.operative.pipeline_chart import pipeline_svg
from services.entry.api import operative_schemas as schemas
from services.entry.api.bounds import SQL_INT_MAX
from services.entry.api.command_ids import command_id
from services.entry.api.deps import ActorDep, HubDep, PrincipalDep
from services.entry.api.read_your_writes import settled_row
from services.wiring.hub import Hub, now_of

router = APIRouter(prefix="/api/v1", tags=["opportunities"])

NOT_FOUND: dict[int | str, dict[str, str]] = {404: {"description": "No such opportunity"}}
STAGE = Annotated[str | None, Query(min_length=1, max_length=60)]


def shown(hub: Hub, opportunity_id: UUID, notification_id: int) -> schemas.Opportunity:
    row = settled_row(hub, notification_id, lambda: hub.views.opportunities.get(opportunity_id))
    return schemas.opportunity_from_row(row)


@router.post(
    "/opportunities",
    summary="Capture an opportunity (Vertriebschance) for a customer or prospect",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "Opened before under this Idempotency-Key"},
        404: {"description": "No such customer"},
        409: {"description": "Not possible as asked; `detail` says why"},
    },
)
async def open_opportunity(
    hub: HubDep,
    actor: ActorDep,
    body: schemas.OpenOpportunity,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> schemas.Opportunity:
    opportunity_id = command_id(body.customer_id, "opportunity", idempotency_key)
    new = NewOpportunity(
        opportunity_id=opportunity_id,
        customer_id=body.customer_id,
        title=body.title,
        value_minor=schemas.minor_units(body.value),
        currency=body.currency,
        owner=body.owner or actor.name,
        expected_close=body.expected_close,
        interaction_ids=tuple(body.interaction_ids),
        stage=body.stage,
    )

    def run() -> schemas.Opportunity:
        _, notification = hub.opportunities.open(
            new, by=actor.name, prospect_source=body.prospect_source
        )
        if not notification:
            response.status_code = status.HTTP_200_OK
        return shown(hub, opportunity_id, notification)

    return await anyio.to_thread.run_sync(run)


@router.get("/opportunities", summary="Opportunities by owner and stage, oldest first")
async def list_opportunities(
    hub: HubDep,
    _: PrincipalDep,
    owner: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    stage: STAGE = None,
    customer_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=SQL_INT_MAX)] = 0,
) -> schemas.OpportunityList:
    rows = await anyio.to_thread.run_sync(
        lambda: hub.views.opportunities.listing(
            owner=owner, stage=stage, customer_id=customer_id, limit=limit, offset=offset
        )
    )
    return schemas.OpportunityList(items=[schemas.opportunity_from_row(r) for r in rows])


@router.get("/opportunities/{opportunity_id}", summary="One opportunity", responses=NOT_FOUND)
async def get_opportunity(
    hub: HubDep, _: PrincipalDep, opportunity_id: UUID
) -> schemas.Opportunity:
    row = await anyio.to_thread.run_sync(hub.views.opportunities.get, opportunity_id)
    if row is None:
        raise OpportunityNotFound(f"no opportunity {opportunity_id}")
    return schemas.opportunity_from_row(row)


@router.post(
    "/opportunities/{opportunity_id}/stage",
    summary="Move an opportunity to another stage (won and lost close it; lost needs a reason)",
    responses={**NOT_FOUND, 409: {"description": "The pipeline does not allow it"}},
)
async def move_stage(
    hub: HubDep, actor: ActorDep, opportunity_id: UUID, body: schemas.MoveStage
) -> schemas.Opportunity:
    def run() -> schemas.Opportunity:
        _, notification = hub.opportunities.move(
            opportunity_id, body.stage, by=actor.name, reason=body.reason
        )
        return shown(hub, opportunity_id, notification)

    return await anyio.to_thread.run_sync(run)


def report_of(hub: Hub) -> schemas.PipelineReport:
    report = hub.opportunities.report()
    return schemas.PipelineReport(
        generated_at=now_of(hub).isoformat(),
        stages=[
            schemas.StageFigures(
                stage=f.stage,
                count=f.count,
                value={code: schemas.major_units(v) for code, v in sorted(f.value_minor.items())},
                reached=f.reached,
                converted_to_next=f.converted_to_next,
                conversion_rate=f.conversion_rate,
                mean_seconds_in_stage=f.mean_seconds_in_stage,
            )
            for f in report.stages
        ],
        won_by_reason=report.won_by_reason,
        lost_by_reason=report.lost_by_reason,
        win_rate=report.win_rate,
    )


@router.get(
    "/analytics/pipeline",
    summary="The sales pipeline: value per stage, conversion, time in stage, won/lost by reason",
)
async def pipeline_report(hub: HubDep, _: PrincipalDep) -> schemas.PipelineReport:
    return await anyio.to_thread.run_sync(report_of, hub)


@router.get(
    "/reports/pipeline.svg",
    summary="The sales pipeline as an SVG bar chart",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "The chart"}},
)
async def pipeline_chart(hub: HubDep, _: PrincipalDep) -> Response:
    report = await anyio.to_thread.run_sync(hub.opportunities.report)
    return Response(pipeline_svg(report), media_type="image/svg+xml")
