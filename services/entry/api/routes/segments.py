"""Segments: saved, named filters with live member counts."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Query, status

from services.entry.api import segment_schemas as schemas
from services.entry.api.deps import ActorDep, HubDep, PrincipalDep

router = APIRouter(prefix="/api/v1/segments", tags=["segments"])


def out(saved: Any, members: int) -> schemas.SegmentOut:
    return schemas.SegmentOut(
        segment_id=saved.segment_id,
        name=saved.name,
        description=saved.description,
        filter=saved.filter,
        created_by=saved.created_by,
        created_at=saved.created_at,
        members=members,
    )


@router.post(
    "",
    summary="Save a named segment (a filter, docs/analytics.md)",
    status_code=status.HTTP_201_CREATED,
    responses={
        409: {"description": "A segment with this name exists"},
        422: {"description": "The filter is not in the filter language"},
    },
)
async def create_segment(
    hub: HubDep, actor: ActorDep, segment: schemas.SegmentIn
) -> schemas.SegmentOut:
    def run() -> schemas.SegmentOut:
        saved = hub.segments.define(
            segment.name, segment.description, segment.filter, by=actor.name
        )
        return out(saved, len(hub.segments.preview(segment.filter)))

    return await anyio.to_thread.run_sync(run)


@router.get("", summary="Every segment with its member count now", responses={})
async def list_segments(hub: HubDep, _: PrincipalDep) -> schemas.SegmentList:
    found = await anyio.to_thread.run_sync(hub.segments.all)
    return schemas.SegmentList(items=[out(s, n) for s, n in found])


@router.get(
    "/{segment_id}/members",
    summary="The customers in a segment now",
    responses={404: {"description": "No such segment"}},
)
async def segment_members(
    hub: HubDep,
    _: PrincipalDep,
    segment_id: UUID,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> schemas.SegmentMembers:
    saved, members = await anyio.to_thread.run_sync(hub.segments.members, segment_id)
    return schemas.SegmentMembers(
        segment_id=saved.segment_id,
        members=len(members),
        customer_ids=[UUID(c) for c in members[offset : offset + limit]],
    )
