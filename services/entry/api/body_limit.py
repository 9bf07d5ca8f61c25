"""A ceiling on every request body, enforced before and while it arrives.

Without it a 100 MB unsigned POST to a webhook was read whole into memory
before its signature check could answer 403. This middleware sits outside
every route (the fast lane included), so no endpoint, form parser or JSON
decoder ever holds more than the route's limit:

- a declared Content-Length over the limit is answered 413 at once, before the
  app runs and before a byte of the body is read;
- a body without one (chunked) is counted as it streams and cut off with 413
  as soon as it passes the limit.

One default for every route; the upload routes (inbound email, scanned
letters, outbound messages with attachments) get a larger one. Both come from
the settings (CONTACTHUB_MAX_BODY_BYTES, CONTACTHUB_MAX_UPLOAD_BYTES).

FastAPI's own `max_body_size` answers a refused Content-Length in plain text,
replacing whatever the app answered; clients of this API get JSON for every
error, so the hub keeps this small one instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from fastapi import HTTPException, status
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CLOSE = {"Connection": "close"}


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a streamed body passes the limit. An
    HTTPException, so FastAPI's body parsing, the fast lane and the app's
    exception handlers answer it as the 413 it is."""

    def __init__(self, limit: int) -> None:
        # Connection: close, because the unread rest of the body is still on the wire.
        super().__init__(status.HTTP_413_CONTENT_TOO_LARGE, too_large_detail(limit), headers=CLOSE)
        self.limit = limit


def too_large_detail(limit: int) -> str:
    return f"the request body exceeds this route's limit of {limit} bytes"


@dataclass(frozen=True)
class BodyLimits:
    """The limit per path: `default`, or `upload` for the upload routes."""

    default: int
    upload: int
    upload_paths: tuple[re.Pattern[str], ...]

    @classmethod
    def of(cls, *, default: int, upload: int, upload_routes: Iterable[str]) -> BodyLimits:
        """`upload_routes` are route paths as declared, e.g. `/api/v1/customers/{id}/x`."""
        return cls(default, upload, tuple(compile_path(p)[0] for p in upload_routes))

    def for_path(self, path: str) -> int:
        if any(pattern.match(path) for pattern in self.upload_paths):
            return self.upload
        return self.default


class BodyLimit:
    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        limit = self.limits.for_path(path)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await refusal(limit)(scope, receive, send)
            return

        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            # Raised where no exception handler caught it (a background reader,
            # a middleware): answer it here unless an answer is under way.
            if started:
                raise
            await refusal(limit)(scope, receive, send)


def refusal(limit: int) -> JSONResponse:
    return JSONResponse(
        {"detail": too_large_detail(limit)},
        status_code=status.HTTP_413_CONTENT_TOO_LARGE,
        headers=CLOSE,
    )
