"""Wake-ups on new events: PostgreSQL's LISTEN/NOTIFY on the store's channel.

The library's PostgreSQL recorder sends NOTIFY with every append, from any
process; a follower that listens wakes at once instead of at its next poll (as
the library's own ListenNotifySubscription does). Polling stays as the net.
SQLite has no such channel.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from psycopg.sql import SQL, Identifier

from services.infra.eventstore.store import EventStore

log = logging.getLogger(__name__)


def can_listen(store: EventStore) -> bool:
    return hasattr(store.recorder, "channel_name")


def listen_for_appends(
    store: EventStore, on_append: Callable[[], None], stop: threading.Event
) -> None:
    """Calls `on_append` after each NOTIFY until `stop` is set (runs in its own thread)."""
    recorder: Any = store.recorder
    try:
        with recorder.datastore.get_connection() as conn:
            conn.execute(SQL("LISTEN {0}").format(Identifier(recorder.channel_name)))
            while not stop.is_set():
                for _ in conn.notifies(timeout=0.2, stop_after=1):
                    on_append()
    except Exception:
        log.exception("LISTEN failed; the follower falls back to polling")
