"""Read-your-writes: a command's answer waits until the read models show it.

An agent who sent a message, changed consent or claimed a case expects the next
list or timeline to include it. Commands append to the event store and the
projector applies the events a moment later; every command route waits here
(briefly: the write is durable either way, so a slow projector only means an
answer that comes before the views catch up).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from fastapi import HTTPException, status

from services.wiring.hub import Hub

SETTLE_SECONDS = 2.0

R = TypeVar("R")


def settled(hub: Hub, notification_id: int | None) -> None:
    """Blocks until the views include `notification_id` (or SETTLE_SECONDS pass).
    For a worker thread; `None` or 0 (nothing was written) returns at once."""
    if not notification_id:
        return
    hub.wake_followers()  # in this process or in `serve`'s followers process
    hub.projector.wait_for(notification_id, timeout=SETTLE_SECONDS)


async def settle(hub: Hub, notification_id: int | None) -> None:
    """`settled` from the event loop, in a worker thread."""
    if notification_id:
        await anyio.to_thread.run_sync(settled, hub, notification_id)


def settled_row(
    hub: Hub, notification_id: int | None, read: Callable[[], R | None], views: str = "views"
) -> R:
    """`settled`, then the row the command wrote, as the command's answer. No row
    yet means the views did not catch up within SETTLE_SECONDS: 503 (the write
    is durable; a retry or a read later shows it)."""
    settled(hub, notification_id)
    row = read()
    if row is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"the {views} are catching up")
    return row
