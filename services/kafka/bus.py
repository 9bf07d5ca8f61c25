"""The Kafka intake bus: the gateway's `IntakeBus` in the distributed setup.

`publish` returns once the broker acknowledged the message with acks=all, and
raises BusUnavailable (the gateway answers 503, the provider retries) if that
does not happen within the produce timeout. A message whose send timed out may
still arrive later; the provider's retry then duplicates it on the topic, and
the recorder's deterministic event ids record it once.
"""

from __future__ import annotations

import asyncio
import logging

from faststream.kafka import KafkaBroker

from events import Event
from services.bus import BusUnavailable
from services.kafka.broker import new_broker
from services.kafka.codec import TYPE_HEADER, intake_key
from services.kafka.topics import Topics
from services.settings import Settings

log = logging.getLogger(__name__)


class KafkaBus:
    def __init__(self, settings: Settings, broker: KafkaBroker | None = None) -> None:
        self.topic = Topics.of(settings).interactions
        self.timeout = settings.kafka_produce_timeout
        self.broker = broker or new_broker(settings, client_id="contacthub-gateway")
        self._connected = False
        self._lock = asyncio.Lock()

    async def connect(self) -> None:
        """Connects the producer; a broker that is down now is retried on each publish."""
        async with self._lock:
            if not self._connected:
                await asyncio.wait_for(self.broker.connect(), self.timeout)
                self._connected = True

    async def close(self) -> None:
        if self._connected:
            await self.broker.stop()
            self._connected = False

    async def publish(self, event: Event) -> None:
        try:
            async with asyncio.timeout(self.timeout):
                if not self._connected:
                    await self.connect()
                await self.broker.publish(
                    event.model_dump_json().encode(),
                    self.topic,
                    key=intake_key(event),
                    headers={TYPE_HEADER: event.type},
                )
        except (TimeoutError, OSError) as exc:
            raise BusUnavailable(f"Kafka did not acknowledge within {self.timeout:g} s") from exc
        except TypeError:
            raise  # a programming error, not the broker's state
        except Exception as exc:  # KafkaError and its kin: the broker cannot take it now
            log.warning("produce to %s failed: %r", self.topic, exc)
            raise BusUnavailable(f"Kafka refused the message: {exc!r}") from exc

    async def status(self) -> str:
        """'ok' if the broker answers now, else why not (for /readyz)."""
        try:
            async with asyncio.timeout(min(self.timeout, 2.0)):
                if not self._connected:
                    await self.connect()
                if await self.broker.ping(timeout=2.0):
                    return "ok"
        except Exception as exc:
            return f"unavailable: {exc!r}"
        return "unavailable: the broker does not answer"
