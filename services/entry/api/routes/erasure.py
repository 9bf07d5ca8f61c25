"""Admin API: erase a customer (crypto-shredding; docs/erasure.md)."""

from __future__ import annotations

from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter

from services.app.erasure import ErasureReport
from services.entry.api import erasure_schemas as schemas
from services.entry.api.deps import HubDep
from services.entry.api.read_your_writes import settle
from services.entry.api.routes.users import FORBIDDEN, AdminDep

router = APIRouter(prefix="/api/v1", tags=["admin"])


@router.post(
    "/customers/{customer_id}/erase",
    summary="Erase a customer's personal data; the history stays without it",
    responses={
        **FORBIDDEN,
        404: {"description": "No such customer"},
        409: {"description": "The erasure could not be carried out; the reason says why"},
    },
)
async def erase_customer(
    hub: HubDep, admin: AdminDep, customer_id: UUID, body: schemas.ErasureRequest
) -> schemas.ErasureView:
    def run() -> ErasureReport:
        return hub.erasure.erase(customer_id, reason=body.reason, erased_by=admin.name)

    report = await anyio.to_thread.run_sync(run)
    # The views drop the customer's rows (and compact) before the answer, so the
    # next read shows the erasure.
    await settle(hub, report.notification_id)
    return schemas.ErasureView(
        customer_id=report.customer_id,
        erased=report.erased,
        erased_at=report.erased_at,
        addresses_released=report.addresses_released,
        blobs_deleted=report.blobs_deleted,
        files_deleted=report.files_deleted,
    )
