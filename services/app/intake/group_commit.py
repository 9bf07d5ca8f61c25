"""The embedded intake bus with group commit: concurrent webhooks share one
transaction, each still answered only once its event is durable (guarantee 1).

`publish` puts the event on a queue and awaits its future. One writer task per
process drains the queue into a batch (at most `max_batch`; when more requests
are waiting it lingers `max_wait` seconds for the rest, a lone request is
written at once) and records it with the Kafka path's batch recorder, so the
decisions, the in-batch deduplication (the same MessageSid twice records once)
and the conflict handling are that recorder's, not a second copy. Only after
the commit are the futures resolved.

A batch that raises resolves nothing: its events are written again one by one,
so a poison event only fails its own request (an event the recorder does not
take keeps its TypeError or LookupError; a store fault is BusUnavailable, 503)
while the others succeed. What a failed batch had already committed is found
by the retry and decided a duplicate, so nothing is recorded twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field

import anyio.to_thread

from events import Event
from services.app.intake.batch_recorder import BatchRecorder, Positioned
from services.app.intake.recorder import Recorded
from services.infra.bus import BusUnavailable

log = logging.getLogger(__name__)

MAX_BATCH = 500
MAX_WAIT_S = 0.002
CLOSE_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Written:
    """One batch's result: what it appended, and each event's error (None: durable)."""

    notification_ids: tuple[int, ...]
    errors: list[Exception | None] = field(default_factory=list)


def write_batch(batches: BatchRecorder, events: Sequence[Event]) -> Written:
    """Records the events together; if that raises, one by one (runs in a thread)."""
    items = [Positioned(None, event) for event in events]
    rejected: dict[int, Exception] = {}

    def remember(parked: list[tuple[Positioned, Exception]]) -> None:
        for item, exc in parked:
            rejected[id(item)] = exc

    try:
        outcome = batches.record(items, remember)
    except Exception as exc:
        if len(events) == 1:
            return Written((), [exc])
        log.warning("a batch of %d failed (%s): writing them one by one", len(events), exc)
        ids: list[int] = []
        errors: list[Exception | None] = []
        for event in events:
            alone = write_batch(batches, [event])
            ids += alone.notification_ids
            errors += alone.errors
        return Written(tuple(ids), errors)
    return Written(outcome.notification_ids, [rejected.get(id(item)) for item in items])


def as_answer(exc: Exception) -> Exception:
    """What the publisher raises: the recorder's refusal as it is, a fault as 503."""
    if isinstance(exc, TypeError | LookupError):
        return exc
    return BusUnavailable(str(exc))


_Pending = tuple[Event, "asyncio.Future[None]"]


class GroupCommitBus:
    def __init__(
        self,
        batches: BatchRecorder,
        on_recorded: Callable[[Recorded], None],
        on_written: Callable[[int], None] = lambda _: None,
        *,
        max_batch: int = MAX_BATCH,
        max_wait: float = MAX_WAIT_S,
    ) -> None:
        self.batches = batches
        self.on_recorded = on_recorded
        self.on_written = on_written
        self.max_batch = max_batch
        self.max_wait = max_wait
        # Bound to the event loop that runs the writer (made on first use).
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[_Pending | None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self.batch_sizes: list[int] = []  # the last batches' sizes, for tests and the bench

    async def publish(self, event: Event) -> None:
        queue = self._running_queue()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.put_nowait((event, future))
        await future

    def _running_queue(self) -> asyncio.Queue[_Pending | None]:
        loop = asyncio.get_running_loop()
        if (
            self._queue is None
            or self._loop is not loop
            or self._writer is None
            or (self._writer.done())
        ):
            self._loop = loop
            self._queue = asyncio.Queue()
            self._writer = loop.create_task(self._write_forever(self._queue))
        return self._queue

    async def _write_forever(self, queue: asyncio.Queue[_Pending | None]) -> None:
        while True:
            first = await queue.get()
            if first is None:
                return
            batch = [first]
            closing = self._drain(queue, batch)
            if not closing and len(batch) > 1 and len(batch) < self.max_batch:
                # Others are arriving: a few ms more fills the transaction.
                await asyncio.sleep(self.max_wait)
                closing = self._drain(queue, batch)
            await self._write(batch)
            if closing:
                return

    def _drain(self, queue: asyncio.Queue[_Pending | None], batch: list[_Pending]) -> bool:
        """Moves waiting requests into the batch; True if the bus is closing."""
        while len(batch) < self.max_batch and not queue.empty():
            pending = queue.get_nowait()
            if pending is None:
                return True
            batch.append(pending)
        return False

    async def _write(self, batch: list[_Pending]) -> None:
        live = [(event, future) for event, future in batch if not future.done()]
        if not live:
            return
        self.batch_sizes = [*self.batch_sizes[-99:], len(live)]
        events = [event for event, _ in live]
        try:
            written = await anyio.to_thread.run_sync(write_batch, self.batches, events)
        except Exception as exc:  # the writer must outlive any batch
            written = Written((), [exc] * len(live))
        if written.notification_ids:
            self.on_written(len(written.notification_ids))
            self.on_recorded(Recorded(None, written.notification_ids))
        for (_, future), error in zip(live, written.errors, strict=True):
            if future.done():
                continue  # the caller went away; its event is recorded all the same
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(as_answer(error))

    async def connect(self) -> None:
        self._running_queue()

    async def close(self) -> None:
        """Writes what is queued, then stops the writer."""
        if self._queue is None or self._writer is None or self._writer.done():
            return
        if self._loop is not asyncio.get_running_loop():
            return  # its loop is gone with its writer
        self._queue.put_nowait(None)
        writer = self._writer
        with suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(writer), CLOSE_TIMEOUT_S)
        if not writer.done():
            writer.cancel()
        while not self._queue.empty():
            pending = self._queue.get_nowait()
            if pending is not None and not pending[1].done():
                pending[1].set_exception(BusUnavailable("the bus is closing"))

    async def status(self) -> str:
        return "in-process"
