"""Canned responses in the console's answer forms: the choices, and one
rendered for the customer (the same `render` as POST
/api/v1/canned-responses/{key}/render), which console.js puts into the reply text.

A GET: rendering changes nothing, so it needs no CSRF token."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Path, Request
from fastapi.responses import PlainTextResponse

from services.app.complaints.canned_responses import CannedResponses, UnknownTemplate
from services.app.errors import CustomerNotFound
from services.entry.api.routes.complaint_replies import render
from services.entry.console.auth import ConsolePrincipal, ConsoleRefusal

router = APIRouter(include_in_schema=False)


def choices(canned: CannedResponses, language: str) -> list[tuple[str, str]]:
    """(key, title) once per key, titled in the console's language where it has one."""
    titles: dict[str, str] = {}
    for template in canned.all():
        if template.key not in titles or template.language == language:
            titles[template.key] = template.title or template.key
    return sorted(titles.items())


@router.get("/customers/{customer_id}/canned/{key}")
async def rendered(
    request: Request,
    principal: ConsolePrincipal,
    customer_id: UUID,
    key: Annotated[str, Path(max_length=100)],
) -> PlainTextResponse:
    hub = request.app.state.hub
    try:
        answer = await anyio.to_thread.run_sync(
            render, hub, key, principal, None, None, customer_id
        )
    except (UnknownTemplate, CustomerNotFound) as exc:
        raise ConsoleRefusal(404, str(exc)) from exc
    return PlainTextResponse(answer.text, headers={"Cache-Control": "no-store"})
