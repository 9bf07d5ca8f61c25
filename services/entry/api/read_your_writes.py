"""Read-your-writes: a command's answer waits until the read models show it.

An agent who sent a message, changed consent or claimed a case expects the next
list or timeline to include it. Commands append to the event store and the
projector applies the events a moment later; every command route waits here
(briefly: the write is durable either way, so a slow projector only means an
answer that comes before the views catch up).
"""

from __future__ import annotations

import anyio.to_thread

from services.wiring.hub import Hub

SETTLE_SECONDS = 2.0


def settled(hub: Hub, notification_id: int | None) -> None:
    """Blocks until the views include `notification_id` (or SETTLE_SECONDS pass).
    For a worker thread; `None` or 0 (nothing was written) returns at once."""
    if not notification_id:
        return
    hub.projector.wake()
    hub.projector.wait_for(notification_id, timeout=SETTLE_SECONDS)


async def settle(hub: Hub, notification_id: int | None) -> None:
    """`settled` from the event loop, in a worker thread."""
    if notification_id:
        await anyio.to_thread.run_sync(settled, hub, notification_id)
