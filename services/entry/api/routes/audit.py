"""GET /api/v1/audit/export: the signed audit export (what `contacthub audit export` writes).

Auditors and admins only. Streamed line by line (application/x-ndjson), so a
long history needs no memory and the first lines come at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime

from services.app.audit import AuditFilter, export_lines
from services.entry.api.deps import HubDep, PrincipalDep
from services.infra.auth import Principal, Role

router = APIRouter(prefix="/api/v1", tags=["audit"])

AUDIT_ROLES = frozenset({Role.AUDITOR, Role.ADMIN})
NDJSON = "application/x-ndjson"


async def get_auditor(principal: PrincipalDep) -> Principal:
    if principal.role not in AUDIT_ROLES:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only auditors and admins may export")
    return principal


@router.get(
    "/audit/export",
    summary="Every event as hash-chained JSON lines, sealed with an Ed25519 signature",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {NDJSON: {"schema": {"type": "string"}}},
            "description": "The export; check it with `contacthub audit verify FILE`",
        },
        403: {"description": "Neither an auditor nor an admin"},
    },
)
async def audit_export(
    hub: HubDep,
    _: Annotated[Principal, Depends(get_auditor)],
    customer: Annotated[UUID | None, Query(description="Only this customer's events.")] = None,
    since: Annotated[
        AwareDatetime | None, Query(description="Only events recorded at or after this instant.")
    ] = None,
    until: Annotated[
        AwareDatetime | None, Query(description="Only events recorded before this instant.")
    ] = None,
) -> StreamingResponse:
    # `since` at or after `until` is an empty interval: a sealed export of no events.
    selection = AuditFilter(customer, since, until)
    # A sync generator: Starlette pulls it in a worker thread, page by page.
    lines = export_lines(hub.store, hub.audit_signer, selection, created_at=datetime.now(UTC))
    return StreamingResponse(
        lines,
        media_type=NDJSON,
        headers={"Content-Disposition": 'attachment; filename="contacthub-audit.jsonl"'},
    )
