"""One-click unsubscribe (RFC 8058): the POST a mail provider sends for the
`List-Unsubscribe` link in the hub's emails.

No bearer token: the HMAC in the link is the authentication (403 when it does
not match the customer). The opt-out of email is recorded as a `ConsentChanged`
with the source `list-unsubscribe` before the answer, so an acknowledged
unsubscribe is never lost.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, HTTPException, Path, Request, status
from pydantic import BaseModel, Field

from domain.unsubscribe import ONE_CLICK, PATH, signature_valid
from services.entry.api.deps import HubDep
from services.entry.api.form_text import urlencoded_fields
from services.entry.api.read_your_writes import settled

router = APIRouter(tags=["webhooks"])


class Unsubscribed(BaseModel):
    customer_id: UUID
    channel: str = Field(description="Always email: the link opts out of email only.")
    granted: bool = Field(description="Always false.")


@router.post(
    PATH + "/{customer_id}/{signature}",
    summary="RFC 8058 one-click unsubscribe from email (the signed link is the authentication)",
    responses={
        400: {"description": "The body is not `List-Unsubscribe=One-Click`"},
        403: {"description": "The link's signature does not match the customer"},
        404: {"description": "No such customer"},
    },
)
async def one_click_unsubscribe(
    request: Request,
    hub: HubDep,
    customer_id: UUID,
    signature: Annotated[str, Path(max_length=64, pattern="^[0-9a-f]{64}$")],
) -> Unsubscribed:
    if not signature_valid(hub.unsubscribe_secret, customer_id, signature):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid unsubscribe link signature")
    try:
        fields = urlencoded_fields(await request.body(), max_fields=10)
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    if ("List-Unsubscribe", b"One-Click") not in fields:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"the body must be {ONE_CLICK}")

    def run() -> None:
        _, last = hub.consent.change(
            customer_id, {"email": False}, agent=None, source="list-unsubscribe"
        )
        settled(hub, last)

    await anyio.to_thread.run_sync(run)
    return Unsubscribed(customer_id=customer_id, channel="email", granted=False)
