"""Orders from a shop or ERP: placed, returned, cancelled (idempotent by their ids)."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Path, Response, status

from services.entry.api import order_schemas as schemas
from services.entry.api.deps import ActorDep, HubDep
from services.entry.api.read_your_writes import settle

router = APIRouter(prefix="/api/v1", tags=["orders"])

OrderId = Annotated[str, Path(min_length=1, max_length=schemas.ORDER_ID)]


@router.post(
    "/orders",
    summary="Record an order (idempotent by order_id; an unknown email or phone registers "
    "the customer)",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "Recorded before: nothing new", "model": schemas.OrderAccepted},
        404: {"description": "No customer with this customer_id"},
        409: {"description": "Retry"},
        422: {"description": "Malformed order, email or phone"},
    },
)
async def post_order(
    hub: HubDep, _: ActorDep, order: schemas.OrderIn, response: Response
) -> schemas.OrderAccepted:
    command = schemas.command_of(order)
    recorded = await anyio.to_thread.run_sync(hub.orders.place, command)
    if not recorded.created:
        response.status_code = status.HTTP_200_OK
    await settle(hub, recorded.notification_id)
    return schemas.OrderAccepted(
        order_id=recorded.order_id, customer_id=recorded.customer_id, created=recorded.created
    )


@router.post(
    "/orders/{order_id}/returns",
    summary="Record a return or a cancellation of an order (idempotent by return_id)",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "Recorded before: nothing new", "model": schemas.ReturnAccepted},
        404: {"description": "No such order"},
        409: {"description": "Retry"},
        422: {"description": "Malformed, or more returned than kept"},
    },
)
async def post_return(
    hub: HubDep, _: ActorDep, order_id: OrderId, taken: schemas.ReturnIn, response: Response
) -> schemas.ReturnAccepted:
    def run() -> tuple[object, int]:
        return hub.orders.take_back(
            order_id,
            return_id=taken.return_id,
            kind=taken.kind,
            lines=taken.lines,
            at=taken.returned_at,
        )

    customer_id, last = await anyio.to_thread.run_sync(run)
    if not last:
        response.status_code = status.HTTP_200_OK
    await settle(hub, last)
    return schemas.ReturnAccepted.model_validate(
        {
            "order_id": order_id,
            "return_id": taken.return_id,
            "customer_id": customer_id,
            "created": bool(last),
        }
    )
