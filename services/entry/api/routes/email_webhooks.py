"""Mailgun's inbound-parse webhook: verify, validate, translate, publish, answer.

Both of Mailgun's forms arrive here: the parsed fields (`from`, `subject`,
`body-plain`, `body-html`, `attachment-N` files...) and the raw MIME variant
(`body-mime`). 200 only once the message is durable; 403 for a wrong
signature, a stale timestamp or a reused token; 422 for a malformed message
(all record nothing); 503 when it cannot be stored now, so Mailgun retries.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from adapters.email.translate import MalformedEmail
from adapters.email.verify import MailgunRejected, check_mailgun
from domain.addresses import InvalidAddress
from services.app.intake.email_gateway import Accepted
from services.entry.api.deps import HubDep
from services.infra.bus import BusUnavailable
from services.wiring.hub import Hub, now_of

router = APIRouter(prefix="/webhooks/email", tags=["webhooks"])

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class EmailRecorded(BaseModel):
    status: str
    kind: str
    interaction_id: str


async def read_form(
    request: Request, hub: Hub
) -> tuple[dict[str, str], list[tuple[str, str, bytes]]]:
    if not request.headers.get("content-type", "").startswith(FORM_TYPES):
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "Mailgun posts multipart/form-data or application/x-www-form-urlencoded",
        )
    limit = hub.settings.smtp_max_message_bytes
    try:
        form = await request.form(max_files=100, max_fields=1000, max_part_size=limit)
    except MultiPartException as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    fields: dict[str, str] = {}
    files: list[tuple[str, str, bytes]] = []
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            data = await value.read()
            if name == "body-mime":  # some senders post the MIME as a file
                fields[name] = data.decode("utf-8", errors="surrogateescape")
            else:
                files.append((value.filename or "", value.content_type or "", data))
        else:
            fields[name] = value
    return fields, files


def verify(hub: Hub, fields: dict[str, str]) -> str:
    key = hub.settings.mailgun_signing_key
    if not key:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "the Mailgun webhook is not configured: set CONTACTHUB_MAILGUN_SIGNING_KEY",
        )
    try:
        check_mailgun(
            key,
            timestamp=fields.get("timestamp"),
            token=fields.get("token"),
            signature=fields.get("signature"),
            now=now_of(hub).timestamp(),
        )
    except MailgunRejected as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from exc
    return fields["token"]


@router.post(
    "/mailgun",
    summary="Inbound email from Mailgun (parsed form or raw MIME in `body-mime`)",
    responses={
        403: {"description": "Wrong signature, stale timestamp or reused token"},
        415: {"description": "Neither multipart/form-data nor a urlencoded form"},
        422: {"description": "Malformed message"},
        503: {"description": "Not stored now; Mailgun retries"},
    },
)
async def mailgun_inbound(request: Request, hub: HubDep) -> EmailRecorded:
    started = time.perf_counter()
    metrics = request.app.state.metrics
    fields, files = await read_form(request, hub)
    token = verify(hub, fields)
    if not hub.mailgun_tokens.claim(token, now_of(hub)):
        metrics.webhooks.labels("mailgun", "rejected").inc()
        raise HTTPException(status.HTTP_403_FORBIDDEN, "token was used before (replay)")
    try:
        accepted = await record(hub, fields, files)
    except (MalformedEmail, InvalidAddress, ValidationError, UnicodeError) as exc:
        metrics.webhooks.labels("mailgun", "rejected").inc()
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail(exc)) from exc
    except BusUnavailable as exc:
        hub.mailgun_tokens.release(token)  # Mailgun's retry carries the same token
        metrics.webhooks.labels("mailgun", "unavailable").inc()
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, f"cannot record now, retry: {exc}"
        ) from exc
    metrics.webhooks.labels("mailgun", "recorded").inc()
    metrics.webhook_seconds.labels("mailgun").observe(time.perf_counter() - started)
    return EmailRecorded(
        status="recorded", kind=accepted.kind, interaction_id=str(accepted.interaction_id)
    )


async def record(hub: Hub, fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> Accepted:
    raw = fields.get("body-mime")
    if raw is not None:
        return await hub.email_gateway.receive_raw(
            raw.encode("utf-8", errors="surrogateescape"),
            provider="mailgun",
            envelope_from=fields.get("sender"),
            envelope_to=[r.strip() for r in fields.get("recipient", "").split(",") if r.strip()],
        )
    if not fields.get("from") and not fields.get("sender"):
        raise MalformedEmail("neither `from` nor `sender` is given")
    return await hub.email_gateway.receive_mailgun_form(fields, files)


def detail(exc: Exception) -> Any:
    if isinstance(exc, ValidationError):
        return [
            {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
    return str(exc)
