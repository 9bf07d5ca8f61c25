"""Reports with charts: each as JSON, CSV or a server-rendered SVG chart."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from domain.reports import Cell
from services.entry.api.deps import HubDep, PrincipalDep
from services.entry.api.reports.render import as_csv, as_svg

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


class ReportName(StrEnum):
    complaints_by_product = "complaints-by-product"
    channel_mix = "channel-mix"
    revenue_by_class = "revenue-by-class"


class ReportFormat(StrEnum):
    json = "json"
    csv = "csv"
    svg = "svg"


class ReportOut(BaseModel):
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    notes: dict[str, str] = Field(default_factory=dict)


@router.get(
    "/{name}",
    summary="A report as JSON, CSV or an SVG chart (complaint rate by product, channel "
    "mix by month, revenue by ABC class)",
    response_model=ReportOut,
    responses={
        200: {
            "content": {"text/csv": {}, "image/svg+xml": {}},
            "description": "The report (JSON by default; ?format=csv or svg)",
        }
    },
)
async def report(
    hub: HubDep,
    _: PrincipalDep,
    name: ReportName,
    format: Annotated[ReportFormat, Query()] = ReportFormat.json,
) -> Response | ReportOut:
    table = await anyio.to_thread.run_sync(hub.reports.named()[name.value])
    if format is ReportFormat.csv:
        return Response(
            as_csv(table),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name.value}.csv"'},
        )
    if format is ReportFormat.svg:
        return Response(as_svg(table), media_type="image/svg+xml")
    return ReportOut(
        title=table.title,
        columns=list(table.columns),
        rows=[list(r) for r in table.rows],
        notes=table.notes,
    )
