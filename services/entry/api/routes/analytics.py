"""Analytics over the order history: ABC classes, RFM segments, churn risk."""

from __future__ import annotations

from itertools import islice
from typing import Annotated
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Query

from domain.valuation import CLASSES, SEGMENTS
from services.entry.api import analytics_schemas as schemas
from services.entry.api.analytics_schemas import money
from services.entry.api.deps import HubDep, PrincipalDep

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])


@router.get(
    "/abc",
    summary="ABC analysis: customers by revenue share, and revenue per class by month",
    responses={},
)
async def abc(
    hub: HubDep,
    _: PrincipalDep,
    months: Annotated[
        int | None, Query(ge=1, le=120, description="Window; default CONTACTHUB_ABC_WINDOW_MONTHS")
    ] = None,
) -> schemas.AbcReport:
    # The class limits are the hub's (CONTACTHUB_ABC_LIMITS): one definition of
    # "an A customer" for the 360 view, segments and reports alike.
    found = await anyio.to_thread.run_sync(lambda: hub.valuations.snapshot(window_months=months))
    return schemas.AbcReport(
        since=found.since,
        until=found.until,
        limits={"A": found.limits.a, "B": found.limits.b, "C": found.limits.c},
        classes=[
            schemas.AbcClassOut(
                abc_class=c.name,
                customers=c.customers,
                revenue=money(c.revenue_cents),
                share=round(c.share, 6),
            )
            for c in found.classes
        ],
        monthly=[
            schemas.MonthOut(month=month, revenue_by_class={k: money(by[k]) for k in CLASSES})
            for month, by in found.monthly
        ],
    )


@router.get(
    "/rfm",
    summary="RFM scores (quintiles 1-5) and named segments",
    responses={},
)
async def rfm(
    hub: HubDep,
    _: PrincipalDep,
    segment: Annotated[str | None, Query(max_length=40, description="Only this segment")] = None,
    limit: Annotated[int, Query(ge=0, le=1000)] = 100,
) -> schemas.RfmReport:
    found = await anyio.to_thread.run_sync(hub.valuations.snapshot)
    # The snapshot holds the scores in customer order: take the page, build only it.
    matching = (
        (customer, s)
        for customer, s in found.rfm.items()
        if segment is None or s.segment == segment
    )
    items = [
        schemas.RfmCustomer(
            customer_id=UUID(customer),
            recency=s.recency,
            frequency=s.frequency,
            monetary=s.monetary,
            segment=s.segment,
        )
        for customer, s in islice(matching, limit)
    ]
    return schemas.RfmReport(
        customers=len(found.rfm),
        segments=[schemas.SegmentCount(segment=s, customers=found.segments[s]) for s in SEGMENTS],
        items=items,
    )


@router.get("/churn", summary="Customers at churn risk, with the reason", responses={})
async def churn(
    hub: HubDep, _: PrincipalDep, limit: Annotated[int, Query(ge=0, le=1000)] = 100
) -> schemas.ChurnReport:
    found = await anyio.to_thread.run_sync(hub.valuations.snapshot)
    flagged = [(c, r) for c, r in found.churn.items() if r.at_risk]  # in customer order
    return schemas.ChurnReport(
        at_risk=len(flagged),
        items=[
            schemas.ChurnCustomer(
                customer_id=UUID(c),
                reason=r.reason,
                days_since_last_order=r.days_since_last or 0.0,
                usual_interval_days=r.usual_interval_days or 0.0,
            )
            for c, r in flagged[:limit]
        ],
    )
