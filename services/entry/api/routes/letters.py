"""Postal letters: the customer's postal address, scanned letters in, provider reports.

`POST /api/v1/letters/inbound` takes a scan (multipart) with its sender and
scan id; the scan id is the idempotency key, so registering a scan twice is
one letter. `POST /webhooks/post/status` takes the print-and-mail provider's
reports, signed with HMAC-SHA256 over the body (adapters/post/verify.py).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, File, Form, HTTPException, Request, Response, UploadFile, status
from pydantic import AwareDatetime, ValidationError

from adapters.post import scans
from adapters.post.translate import letter_status_event, scan_event
from adapters.post.verify import HEADER, post_signature_valid
from services.app.outbound.letters import PostalAddressInput
from services.entry.api import channel_schemas as schemas
from services.entry.api.deps import ActorDep, HubDep
from services.entry.api.read_your_writes import settle, settled
from services.entry.api.routes.twilio_webhooks import unprocessable
from services.infra.bus import BusUnavailable
from services.wiring.hub import Hub, now_of

router = APIRouter(prefix="/api/v1", tags=["letters"])
webhooks = APIRouter(prefix="/webhooks/post", tags=["webhooks"])

MAX_SCAN_BYTES = 25 * 1024 * 1024


@router.put(
    "/customers/{customer_id}/postal-address",
    summary="Set the customer's postal address (used for letters; matches scanned letters)",
    responses={404: {"description": "No such customer"}, 409: {"description": "Refused"}},
)
async def set_postal_address(
    hub: HubDep, actor: ActorDep, customer_id: UUID, address: schemas.PostalAddress
) -> schemas.PostalAddress:
    def run() -> None:
        last = hub.letters.set_postal_address(
            customer_id, PostalAddressInput(**address.model_dump()), agent=actor.name
        )
        settled(hub, last)

    await anyio.to_thread.run_sync(run)
    return address


@router.post(
    "/letters/inbound",
    summary="Register a scanned inbound letter (PDF or image); the scan id makes it idempotent",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "This scan id was registered before: the same letter"},
        413: {"description": "Scan too large"},
        422: {"description": "Not a PDF/PNG/JPEG/TIFF, unreadable, or a field is missing"},
        503: {"description": "Cannot record now; retry"},
    },
)
async def register_inbound_letter(
    request: Request,
    response: Response,
    hub: HubDep,
    _: ActorDep,
    file: Annotated[UploadFile, File(description="The scan: PDF, PNG, JPEG or TIFF.")],
    scan_id: Annotated[str, Form(min_length=1, max_length=200)],
    sender_name: Annotated[str, Form(min_length=1, max_length=120)],
    street: Annotated[str, Form(min_length=1, max_length=120)],
    postal_code: Annotated[str, Form(min_length=3, max_length=12)],
    city: Annotated[str, Form(min_length=1, max_length=80)],
    extra: Annotated[str, Form(max_length=120)] = "",
    country: Annotated[str, Form(pattern=r"^[A-Za-z]{2}$")] = "DE",
    received_at: Annotated[
        AwareDatetime | None,
        Form(
            description="When the letter arrived (mailroom stamp), if it is scanned later:"
            " its timeline entry sorts there. Default: now; never in the future."
        ),
    ] = None,
) -> schemas.LetterAccepted:
    now = now_of(hub)
    if received_at is not None and received_at > now:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "received_at lies in the future")
    data = await file.read(MAX_SCAN_BYTES + 1)
    if len(data) > MAX_SCAN_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "the scan exceeds 25 MB")
    try:
        content_type = scans.sniff(data)[0]
        text, pages = (
            await anyio.to_thread.run_sync(scans.pdf_text, data)
            if content_type == "application/pdf"
            else ("", 1)
        )
    except scans.UnreadableScan as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    # The hub's blob store (files when embedded, the database when distributed),
    # as for raw emails: any API replica can serve the scan later.
    try:
        sha256 = await anyio.to_thread.run_sync(hub.blobs.put, data)
    except Exception as exc:  # disk full, database down: the scanner must retry
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, f"cannot store the scan now, retry: {exc}"
        ) from exc
    event = scan_event(
        scan_id=scan_id,
        sender_name=sender_name.strip(),
        street=street.strip(),
        extra=extra.strip(),
        postal_code=postal_code.strip(),
        city=city.strip(),
        country=country.upper(),
        content_type=content_type,
        sha256=sha256,
        pages=pages,
        text=text,
        received_at=received_at or now,
        address_secret=hub.address_secret,
    )
    duplicate = await anyio.to_thread.run_sync(hub.store.exists, event.originator_id)
    await publish_or_503(request, hub, "letter-inbound", event)
    recorded = await anyio.to_thread.run_sync(hub.store.stream, event.originator_id)
    customer_id = recorded[0].customer_id
    assert customer_id is not None
    await settle(hub, await anyio.to_thread.run_sync(hub.store.max_notification_id))
    if duplicate:
        response.status_code = status.HTTP_200_OK
    return schemas.LetterAccepted(
        interaction_id=event.originator_id,
        customer_id=customer_id,
        duplicate=duplicate,
        text_extracted=bool(text),
    )


@webhooks.post(
    "/status",
    summary="Status report of the print-and-mail provider (printed, posted, returned, failed)",
    responses={
        403: {"description": "Wrong or missing X-Contacthub-Signature"},
        404: {"description": "No such letter"},
        422: {"description": "Not a status report"},
        503: {"description": "Not configured, or cannot record now; retry"},
    },
)
async def letter_status(request: Request, hub: HubDep) -> dict[str, Any]:
    secret = hub.settings.post_webhook_secret
    if not secret:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "the post status webhook is not configured: set CONTACTHUB_POST_WEBHOOK_SECRET",
        )
    body = await request.body()
    if not post_signature_valid(secret, body, request.headers.get(HEADER)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"invalid or missing {HEADER}")
    try:
        report = schemas.LetterStatusReport.model_validate_json(body)
    except ValidationError as exc:
        raise unprocessable(exc) from exc
    event = letter_status_event(
        report.letter_id,
        report.status,
        reference=report.reference,
        reason=report.reason,
        at=report.occurred_at or now_of(hub),
    )
    await publish_or_503(request, hub, "post-status", event)
    return {"letter_id": str(report.letter_id), "status": report.status}


async def publish_or_503(request: Request, hub: Hub, route: str, event: Any) -> None:
    """Publishes and counts the outcome; BusUnavailable goes on to the app's 503
    (services/entry/api/errors.py), an unknown letter to its 404."""
    metrics = request.app.state.metrics
    try:
        await hub.bus.publish(event)
    except BusUnavailable:
        metrics.webhooks.labels(route, "unavailable").inc()
        raise
    metrics.webhooks.labels(route, "recorded").inc()
