"""The intake bus port: how the gateway hands events to the recorder.

`publish` returns only once the event is durable (guarantee 1): the gateway
answers the provider after it, and answers 503 if it raises BusUnavailable.
The embedded bus calls the recorder in-process; the Kafka bus (distributed
setup) produces with acks=all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import anyio.to_thread

from events import Event
from services.recorder import Recorded, Recorder


class BusUnavailable(RuntimeError):
    """The event could not be made durable now; the provider should retry."""


class IntakeBus(Protocol):
    async def publish(self, event: Event) -> None: ...

    async def connect(self) -> None:
        """Called at start-up; a bus that cannot connect yet retries on publish."""

    async def close(self) -> None: ...

    async def status(self) -> str:
        """'ok' or 'in-process' when it can take events now, else why not (for /readyz)."""


class InProcessBus:
    def __init__(self, recorder: Recorder, on_recorded: Callable[[Recorded], None]) -> None:
        self.recorder = recorder
        self.on_recorded = on_recorded

    async def publish(self, event: Event) -> None:
        try:
            recorded = await anyio.to_thread.run_sync(self.recorder.record, event)
        except (TypeError, LookupError):
            raise
        except Exception as exc:  # the store is down or locked: transient for the provider
            raise BusUnavailable(str(exc)) from exc
        self.on_recorded(recorded)

    async def connect(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def status(self) -> str:
        return "in-process"
