"""Mailgun's inbound-parse webhook: verify, validate, translate, publish, answer.

Both of Mailgun's forms arrive here: the parsed fields (`from`, `subject`,
`body-plain`, `body-html`, `attachment-N` files...) and the raw MIME variant
(`body-mime`). 200 only once the message is durable; 403 for a wrong
signature, a stale timestamp or a reused token; 422 for a malformed message,
400 for a text field that is not UTF-8, 413 for a form far beyond the message
size limit (all record nothing); 503 when it cannot be stored now, so Mailgun
retries.
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
from services.entry.api.form_text import (
    NotUtf8,
    decode_field,
    multipart_text_fields,
    urlencoded_fields,
)
from services.infra.bus import BusUnavailable
from services.wiring.hub import Hub, now_of

router = APIRouter(prefix="/webhooks/email", tags=["webhooks"])

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
MAX_FIELDS = 1000
# A parsed message's form is its parts plus a little framing: bounded by a
# multiple of the message size limit, so the whole body may be held in memory.
BODY_LIMIT_FACTOR = 2
BODY_LIMIT_SLACK = 1 << 20


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
    body = await bounded_body(request, limit * BODY_LIMIT_FACTOR + BODY_LIMIT_SLACK)
    try:
        form = await request.form(max_files=100, max_fields=MAX_FIELDS, max_part_size=limit)
        text = text_fields(request.headers["content-type"], body)
    except MultiPartException as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    except ValueError as exc:  # not UTF-8, or too many fields
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
    fields: dict[str, str] = {}
    files: list[tuple[str, str, bytes]] = []
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            data = await value.read()
            if name == "body-mime":  # some senders post the MIME as a file
                fields[name] = data.decode("utf-8", errors="surrogateescape")
            else:
                files.append((value.filename or "", value.content_type or "", data))
    # The text fields from their own bytes, not Starlette's reading of them
    # (latin-1 where they are not UTF-8).
    for name, raw in text:
        if name == "body-mime":  # MIME may be 8-bit in any charset: kept as bytes
            fields[name] = raw.decode("utf-8", errors="surrogateescape")
            continue
        try:
            fields[name] = decode_field(name, raw)
        except NotUtf8 as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
    return fields, files


async def bounded_body(request: Request, limit: int) -> bytes:
    """The request body, or 413 once it grows past `limit` (read no further)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE, f"the form exceeds {limit} bytes"
            )
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # Starlette's cache: request.form() reads it from here
    return body


def text_fields(content_type: str, body: bytes) -> list[tuple[str, bytes]]:
    if content_type.startswith("multipart/form-data"):
        return multipart_text_fields(content_type, body)
    return urlencoded_fields(body, max_fields=MAX_FIELDS)


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
        400: {"description": "A text field is not valid UTF-8 (named in `detail`)"},
        403: {"description": "Wrong signature, stale timestamp or reused token"},
        413: {"description": "The form is far larger than the message size limit"},
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
    except BusUnavailable:  # answered 503 by the app (services/entry/api/errors.py)
        hub.mailgun_tokens.release(token)  # Mailgun's retry carries the same token
        metrics.webhooks.labels("mailgun", "unavailable").inc()
        raise
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
