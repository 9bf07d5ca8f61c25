"""The projector: follows the event store's notification log into the read models.

The SQLite recorder has no `subscribe()`, so the library's ProjectionRunner
cannot run on it; this follower reads `select_notifications` from each view's
own tracked position (as the library's `system.Follower` does), in batches,
and is woken early by in-process writes so that the embedded hub shows an
event within milliseconds. Each batch is written with its position in one
transaction by the view itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from events import CustomerErased
from projections.view import SqlView
from services.infra.eventstore import EventStore
from services.infra.eventstore.notify import can_listen, listen_for_appends
from services.infra.follower import Follower

BATCH = 2000


class Projector:
    def __init__(
        self,
        store: EventStore,
        views: Sequence[SqlView],
        batch: int = BATCH,
        *,
        after_erasure: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        # Compacts the views' database once they dropped an erased customer's
        # rows, so no freed page keeps them (before anyone waiting is told).
        self.after_erasure = after_erasure
        self.views = list(views)
        self.batch = batch
        # Woken by in-process writes and NOTIFY; wakes before start() are kept.
        self._follower = Follower("projector", lambda _stop: self.catch_up(), poll_interval=0.5)
        self._progress = threading.Condition()
        self._position = self._views_position()

    @property
    def position(self) -> int:
        """How far every view has got: this process's count while it projects,
        else the views' own positions (another process projects: `serve`'s
        followers, `contacthub run projector`)."""
        if self._follower.started:
            return self._position
        return self._views_position()

    def _views_position(self) -> int:
        return min((v.position() for v in self.views), default=0)

    def catch_up(
        self, progress: Callable[[int], None] | None = None, *, until: int | None = None
    ) -> int:
        """Projects everything recorded so far (or up to notification `until`,
        which a verifying rebuild uses to stop where a live view stands);
        returns how many events it applied.

        Each batch is read and decoded once and handed to every view that has
        not yet seen it (views may stand at different positions after a crash
        between two views' commits, or after one was rebuilt). The next batch is
        read and decoded in a second thread while this one is written, so the
        database's work on the writes overlaps ours on the decoding.
        """
        applied = 0
        erasures = False
        positions = {id(v): v.position() for v in self.views}
        if not self.views:
            return 0
        with ThreadPoolExecutor(1, thread_name_prefix="projector-read") as reader:
            low = min(positions.values())
            ahead = reader.submit(self.store.notifications, low, self.batch)
            while True:
                batch = ahead.result()
                if until is not None:
                    batch = [(nid, event) for nid, event in batch if nid <= until]
                if not batch:
                    break
                last = batch[-1][0]
                erasures = erasures or any(isinstance(e, CustomerErased) for _, e in batch)
                ahead = reader.submit(self.store.notifications, last, self.batch)
                for view in self.views:
                    seen = positions[id(view)]
                    events = [event for nid, event in batch if nid > seen]
                    if events:
                        view.process_batch(events, last)
                        positions[id(view)] = last
                        applied += len(events)
                        if progress is not None:
                            progress(len(events))
        if erasures and self.after_erasure is not None:
            self.after_erasure()
        with self._progress:
            self._position = min(positions.values(), default=0)
            self._progress.notify_all()
        return applied

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Drops every read model and projects the whole log again (what
        `contacthub replay` does); returns how many events it applied.

        The caller holds the projector lock: nothing else writes the views.
        Secondary indexes are built once the rows are in (bulk loading), so a
        crash midway leaves views without them until the next `setup()`, which
        every start runs, creates them; the rows and positions stay consistent.
        """
        for view in self.views:
            view.drop(defer_indexes=True)
        applied = self.catch_up(progress)
        for view in self.views:
            view.create_indexes()
        return applied

    def wait_for(self, notification_id: int, timeout: float = 5.0) -> bool:
        """Blocks until every view has projected the notification (or the timeout)."""
        if not self._follower.started:
            return self._watch_views(notification_id, timeout)
        with self._progress:
            return self._progress.wait_for(lambda: self._position >= notification_id, timeout)

    def _watch_views(self, notification_id: int, timeout: float) -> bool:
        # Another process projects (the distributed setup): watch the views' positions.
        deadline = time.monotonic() + timeout
        while self.views and self._views_position() < notification_id:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def wake(self) -> None:
        """Called after a write in this process: project it now, not at the next poll."""
        self._follower.wake()

    @property
    def running(self) -> bool:
        return self._follower.running

    def start(self, poll_interval: float = 0.5) -> None:
        follower = self._follower
        follower.poll_interval = poll_interval
        follower.start()
        if can_listen(self.store):
            threading.Thread(
                target=listen_for_appends,
                args=(self.store, follower.wake, follower.stopping),
                name="projector-listen",
                daemon=True,
            ).start()

    def stop(self) -> None:
        self._follower.stop()
