"""The intake bus port: how the gateway hands events to the recorder.

`publish` returns only once the event is durable (guarantee 1): the gateway
answers the provider after it, and answers 503 if it raises BusUnavailable.
The embedded bus (services/app/intake/group_commit.py) calls the recorder
in-process, many events per transaction; the Kafka bus
(services/infra/kafka/bus.py) produces with acks=all.
"""

from __future__ import annotations

from typing import Protocol

from events import Event


class BusUnavailable(RuntimeError):
    """The event could not be made durable now; the provider should retry."""


class IntakeBus(Protocol):
    async def publish(self, event: Event) -> None: ...

    async def connect(self) -> None:
        """Called at start-up; a bus that cannot connect yet retries on publish."""

    async def close(self) -> None: ...

    async def status(self) -> str:
        """'ok' or 'in-process' when it can take events now, else why not (for /readyz)."""
