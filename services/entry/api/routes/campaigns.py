"""Campaigns: define one on a segment, start it, follow its report (JSON, CSV
and an SVG funnel chart). Supervisors and admins define and start campaigns;
every role may read them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Header, Query, Response, status

from domain.campaigns import NewCampaign
from services.app.campaigns.desk import CampaignReport
from services.entry.api import campaign_schemas as schemas
from services.entry.api.command_ids import command_id
from services.entry.api.deps import HubDep, PrincipalDep
from services.entry.api.read_your_writes import settled
from services.entry.api.reports.render import as_csv, as_svg
from services.entry.api.routes.complaints import SupervisorDep
from services.wiring.hub import Hub

router = APIRouter(prefix="/api/v1", tags=["campaigns"])

NOT_FOUND: dict[int | str, dict[str, str]] = {404: {"description": "No such campaign"}}
# Under /reports, beside the other charts; its own path, so it never meets /reports/{name}.
CHART_PATH = "/reports/campaigns/{campaign_id}.svg"


class ReportFormat(StrEnum):
    json = "json"
    csv = "csv"


def shown(hub: Hub, campaign_id: UUID, notification_id: int) -> schemas.CampaignOut:
    settled(hub, notification_id)
    return schemas.campaign_from_row(hub.campaigns.get(campaign_id))


@router.post(
    "/campaigns",
    summary="Define a campaign: a template sent to a segment's members once started",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "Created before under this Idempotency-Key"},
        422: {"description": "Unknown placeholder or segment, a missing subject"},
    },
)
async def create_campaign(
    hub: HubDep,
    actor: SupervisorDep,
    body: schemas.CampaignIn,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> schemas.CampaignOut:
    campaign_id = command_id(body.segment_id, "campaign", idempotency_key)
    new = NewCampaign(
        campaign_id=campaign_id,
        name=body.name,
        segment_id=body.segment_id,
        channel=body.channel,
        kind=body.kind,
        subject=body.subject,
        body=body.body,
        attribution_window_days=body.attribution_window_days,
        throttle_per_minute=body.throttle_per_minute,
    )

    def run() -> schemas.CampaignOut:
        notification = hub.campaigns.create(new, by=actor.name)
        if not notification:
            response.status_code = status.HTTP_200_OK
        return shown(hub, campaign_id, notification)

    return await anyio.to_thread.run_sync(run)


@router.get("/campaigns", summary="Every campaign, newest first", responses={})
async def list_campaigns(
    hub: HubDep,
    _: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> schemas.CampaignList:
    rows = await anyio.to_thread.run_sync(hub.campaigns.listing, limit, offset)
    return schemas.CampaignList(items=[schemas.campaign_from_row(r) for r in rows])


@router.get("/campaigns/{campaign_id}", summary="One campaign", responses=NOT_FOUND)
async def get_campaign(hub: HubDep, _: PrincipalDep, campaign_id: UUID) -> schemas.CampaignOut:
    row = await anyio.to_thread.run_sync(hub.campaigns.get, campaign_id)
    return schemas.campaign_from_row(row)


@router.post(
    "/campaigns/{campaign_id}/start",
    summary="Start sending: the segment's members now are the campaign's recipients",
    responses={
        **NOT_FOUND,
        409: {"description": "Started before, or the channel is not configured"},
    },
)
async def start_campaign(
    hub: HubDep, actor: SupervisorDep, campaign_id: UUID
) -> schemas.CampaignOut:
    def run() -> schemas.CampaignOut:
        notification = hub.campaigns.start(campaign_id, by=actor.name)
        return shown(hub, campaign_id, notification)

    return await anyio.to_thread.run_sync(run)


def _report(hub: Hub, campaign_id: UUID) -> CampaignReport:
    return hub.campaigns.report(campaign_id)


@router.get(
    "/campaigns/{campaign_id}/report",
    summary="Reach, delivery, replies, opt-outs, orders and conversion (JSON or ?format=csv)",
    response_model=schemas.CampaignReportOut,
    responses={
        **NOT_FOUND,
        200: {"content": {"text/csv": {}}, "description": "The report (JSON by default)"},
    },
)
async def campaign_report(
    hub: HubDep,
    _: PrincipalDep,
    campaign_id: UUID,
    format: Annotated[ReportFormat, Query()] = ReportFormat.json,
) -> Response | schemas.CampaignReportOut:
    report = await anyio.to_thread.run_sync(_report, hub, campaign_id)
    if format is ReportFormat.csv:
        return Response(
            as_csv(report.table()),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="campaign-{campaign_id}.csv"'},
        )
    f, c = report.figures, report.campaign
    return schemas.CampaignReportOut(
        campaign_id=campaign_id,
        name=c["name"],
        status=c["status"],
        members=f.members,
        pending=f.pending,
        reach=f.reach,
        sent=f.sent,
        refused=f.refused,
        failed=f.failed,
        delivered=f.delivered,
        undelivered=f.undelivered,
        replies=f.replies,
        opt_outs=f.opt_outs,
        orders=f.orders,
        conversion_rate=f.conversion_rate,
        reply_rate=f.rate(f.replies),
        opt_out_rate=f.rate(f.opt_outs),
    )


@router.get(
    CHART_PATH,
    summary="The campaign's funnel as an SVG bar chart",
    response_class=Response,
    responses={**NOT_FOUND, 200: {"content": {"image/svg+xml": {}}}},
)
async def campaign_chart(hub: HubDep, _: PrincipalDep, campaign_id: UUID) -> Response:
    report = await anyio.to_thread.run_sync(_report, hub, campaign_id)
    return Response(as_svg(report.table()), media_type="image/svg+xml")
