"""Data subject access over HTTP: the customer's whole export (logged as a read)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Query, Response

from domain.access import AccessDenied
from services.app.export import Export
from services.entry.api.deps import HubDep, PrincipalDep
from services.infra.auth import Principal
from services.wiring.hub import Hub

router = APIRouter(prefix="/api/v1", tags=["customers"])


def exported(hub: Hub, principal: Principal, customer_id: UUID) -> Export:
    # The export is complete, as the data subject's right is: it holds every
    # team's cases, so it is not for whom some of them are hidden.
    if hub.complaints.access.hidden(principal):
        raise AccessDenied("an export holds every team's cases; an admin or an auditor exports")
    export = hub.exports.export(customer_id)
    # Logged before anything leaves: an export that cannot be logged is not served.
    hub.access_log.record(
        user=principal.name, role=principal.role.value, what="export", customer_id=customer_id
    )
    return export


@router.get(
    "/customers/{customer_id}/export",
    summary="Everything the hub holds about the customer (data subject access)",
    response_class=Response,
    responses={
        200: {
            "content": {"application/json": {}, "application/zip": {}},
            "description": "One JSON document; with format=zip, a ZIP of export.json and "
            "the attachments under attachments/<interaction>/",
        },
        403: {
            "description": "Teams are configured and some of their cases are hidden from the caller"
        },
        404: {"description": "No such customer"},
    },
)
async def export_customer(
    hub: HubDep,
    principal: PrincipalDep,
    customer_id: UUID,
    format: Annotated[Literal["json", "zip"], Query(description="json or zip")] = "json",
) -> Response:
    export = await anyio.to_thread.run_sync(exported, hub, principal, customer_id)
    name = f"customer-{customer_id}"
    if format == "zip":
        body, media_type, name = export.zip(), "application/zip", name + ".zip"
    else:
        body, media_type, name = export.json(), "application/json", name + ".json"
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
