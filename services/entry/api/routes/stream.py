"""Server-sent events for agents' consoles: new interactions, queue changes, SLA alerts.

Each message's SSE `id` is the event's notification id in the store, so a
console that reconnects with `Last-Event-ID` resumes from the store itself and
misses nothing, however long it was away. Without it the stream starts now
(or after `?after=N`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any
from uuid import UUID

import anyio
import anyio.to_thread
import orjson
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials
from sse_starlette import EventSourceResponse, ServerSentEvent

from services.entry.api.bounds import SQL_INT_MAX, parse_notification_id
from services.entry.api.deps import HubDep, bearer, get_principal
from services.entry.api.live import console_message
from services.entry.console.auth import session_principal
from services.infra.auth import Principal
from services.wiring.hub import Hub

router = APIRouter(prefix="/api/v1", tags=["live"])

BATCH = 200
POLL_SECONDS = 0.2
PING_SECONDS = 15


def about_hidden_queues(
    data: dict[str, Any], hidden: frozenset[str], queue_of: Callable[[str], str | None]
) -> bool:
    """Whether a `queue` or `sla` message is about a case of another team's queue
    only (an escalation between two teams is news to both)."""
    if not hidden or "complaint_id" not in data:
        return False
    named = {q for q in (data.get("queue"), data.get("from_queue")) if q}
    queues = named or {queue_of(data["complaint_id"])}
    return all(q is not None and q in hidden for q in queues)


async def messages(hub: Hub, reader: Principal, after: int) -> AsyncIterator[ServerSentEvent]:
    hidden = hub.complaints.access.hidden(reader)

    def queue_of(complaint_id: str) -> str | None:
        row = hub.views.complaints.case(UUID(complaint_id))
        return str(row["queue"]) if row else None

    position = after
    while True:
        batch = await anyio.to_thread.run_sync(hub.store.notifications, position, BATCH)
        for notification_id, event in batch:
            position = notification_id
            message = console_message(event)
            if message is not None:
                name, data = message
                if hidden:
                    skip = await anyio.to_thread.run_sync(
                        about_hidden_queues, data, hidden, queue_of
                    )
                    if skip:
                        continue
                yield ServerSentEvent(
                    id=str(notification_id), event=name, data=orjson.dumps(data).decode()
                )
        if len(batch) < BATCH:
            await anyio.sleep(POLL_SECONDS)


async def get_reader(
    request: Request,
    hub: HubDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """A bearer token, or the console's session cookie: a browser's EventSource
    cannot send headers. Reading only, so the cookie needs no CSRF token."""
    if credentials is None:
        principal = await session_principal(request)
        if principal is not None:
            return principal
    return await get_principal(hub, request, credentials)


@router.get(
    "/stream",
    summary="Live updates (text/event-stream): `interaction`, `queue` and `sla` events",
    response_class=EventSourceResponse,
    responses={
        200: {"content": {"text/event-stream": {}}},
        401: {"description": "Missing, invalid or revoked bearer token (and no console session)"},
    },
)
async def stream(
    hub: HubDep,
    reader: Annotated[Principal, Depends(get_reader)],
    last_event_id: Annotated[
        str | None, Header(description="Resume after this notification id.")
    ] = None,
    after: Annotated[
        int | None, Query(ge=0, le=SQL_INT_MAX, description="Start after this id.")
    ] = None,
) -> EventSourceResponse:
    if last_event_id is not None:
        resumed = parse_notification_id(last_event_id.strip())
        if resumed is None:
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST,
                f"Last-Event-ID must be a notification id (0 to {SQL_INT_MAX})",
            )
        start = resumed
    elif after is not None:
        start = after
    else:
        start = await anyio.to_thread.run_sync(hub.store.max_notification_id)
    return EventSourceResponse(messages(hub, reader, start), ping=PING_SECONDS)
