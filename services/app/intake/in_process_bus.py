"""The embedded intake bus: publishing calls the recorder in this process.

`publish` returns once the recorder's transaction has committed, so the gateway
answers the provider only after the event is durable (guarantee 1).
"""

from __future__ import annotations

from collections.abc import Callable

import anyio.to_thread

from events import Event
from services.app.intake.recorder import Recorded, Recorder
from services.infra.bus import BusUnavailable


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
