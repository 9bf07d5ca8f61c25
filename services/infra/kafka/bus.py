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

from aiokafka import AIOKafkaProducer

from events import Event
from services.infra.bus import BusUnavailable
from services.infra.kafka.broker import producer_config
from services.infra.kafka.codec import TYPE_HEADER, intake_key
from services.infra.kafka.topics import Topics
from services.infra.settings import Settings

log = logging.getLogger(__name__)


class KafkaBus:
    def __init__(self, settings: Settings) -> None:
        self.topic = Topics.of(settings).interactions
        self.timeout = settings.kafka_produce_timeout
        self.config = producer_config(settings, client_id="contacthub-gateway")
        self.producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def connect(self) -> None:
        """Connects the producer; a broker that is down now is retried on each publish."""
        await self._connected()

    async def _connected(self) -> AIOKafkaProducer:
        async with self._lock:
            if self.producer is None:
                producer = AIOKafkaProducer(**self.config)
                try:
                    await asyncio.wait_for(producer.start(), self.timeout)
                except BaseException:
                    await producer.stop()
                    raise
                self.producer = producer
            return self.producer

    async def close(self) -> None:
        if self.producer is not None:
            producer, self.producer = self.producer, None
            await producer.stop()

    async def publish(self, event: Event) -> None:
        value = event.model_dump_json().encode()
        headers = [(TYPE_HEADER, event.type.encode())]
        try:
            async with asyncio.timeout(self.timeout):
                producer = self.producer or await self._connected()
                # send() queues the message in the partition's open batch; the
                # future resolves once the broker acked that batch (acks=all).
                delivery = await producer.send(
                    self.topic, value, key=intake_key(event), headers=headers
                )
                await delivery
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
                producer = self.producer or await self._connected()
                await producer.client.fetch_all_metadata()
                return "ok"
        except Exception as exc:
            return f"unavailable: {exc!r}"
