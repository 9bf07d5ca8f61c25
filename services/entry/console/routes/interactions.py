"""One interaction whole: an email's text, its HTML in a sandboxed frame and its
attachments; an SMS or WhatsApp message; a call with recording and transcript;
a letter with its PDF."""

from __future__ import annotations

from urllib.parse import quote
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from adapters.voice.recordings import RecordingUnavailable
from services.entry.api.routes.customers import interaction_detail
from services.entry.console.auth import ConsolePrincipal, ConsoleRefusal
from services.entry.console.rendering import is_htmx, language_of, render
from services.entry.console.routes.canned import choices
from services.wiring.hub import Hub

router = APIRouter(include_in_schema=False)

# The frame's own policy: no script, no network (remote images are trackers),
# inline styles only. With `sandbox` (no allow-scripts, no same origin) an
# email can neither run code nor reach the console.
FRAME_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"
# Shown in the browser rather than downloaded: PDFs (letters) and recordings.
INLINE_TYPES = ("application/pdf", "audio/")


def framed(html: str) -> str:
    return (
        f'<!doctype html><html><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{FRAME_CSP}">'
        '<base target="_blank"><style>body{font-family:system-ui,sans-serif;'
        "font-size:15px;line-height:1.5;color:#1f2933;margin:12px}</style></head>"
        f"<body>{html}</body></html>"
    )


@router.get("/interactions/{interaction_id}")
async def interaction(
    request: Request, principal: ConsolePrincipal, interaction_id: UUID
) -> HTMLResponse:
    hub: Hub = request.app.state.hub
    found = await anyio.to_thread.run_sync(interaction_detail, hub, principal, interaction_id)
    if found is None:
        raise ConsoleRefusal(404, f"no interaction {interaction_id}")
    row = await anyio.to_thread.run_sync(hub.views.customer360.interaction, interaction_id)
    name = "interaction_body.html.j2" if is_htmx(request) else "interaction.html.j2"
    return render(
        request,
        name,
        {
            "item": found,
            "customer_id": row["customer_id"] if row else None,
            "srcdoc": framed(found.html) if found.html else None,
            "inline_types": INLINE_TYPES,
            "canned": choices(hub.complaints.canned, language_of(request)),
        },
        principal=principal,
    )


@router.get("/interactions/{interaction_id}/attachments/{n}")
async def attachment(
    request: Request,
    _: ConsolePrincipal,
    interaction_id: UUID,
    n: int,
    inline: bool = False,
) -> Response:
    hub: Hub = request.app.state.hub
    try:
        found = await anyio.to_thread.run_sync(hub.interactions.attachment, interaction_id, n)
    except RecordingUnavailable as exc:
        raise ConsoleRefusal(502, f"the recording could not be fetched: {exc}") from exc
    if found is None:
        raise ConsoleRefusal(404, f"interaction {interaction_id} has no attachment {n}")
    kind = found.meta.content_type
    # Anything else is a download: an HTML attachment must not run in the console.
    shown = inline and kind.startswith(INLINE_TYPES)
    disposition = "inline" if shown else "attachment"
    if found.meta.name:
        disposition += f"; filename*=UTF-8''{quote(found.meta.name, safe='')}"
    headers = {"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"}
    if not shown:
        headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return Response(found.data, media_type=kind, headers=headers)
