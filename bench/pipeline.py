"""The distributed figures: raw Kafka limits, ingest, gateway on Kafka, lag.

The services run as an operator runs them (`contacthub run ...`), against the
tansu broker and PostgreSQL on this machine; load comes from this process
(aiokafka) or from wrk.
"""

from __future__ import annotations

import asyncio
import base64
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import psycopg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.load import LoadResult, run_wrk
from bench.scenarios import signed_webhooks
from services.infra.eventstore.keys import derive_key
from services.infra.kafka.topics import ensure_topics
from services.infra.settings import Settings
from tests.support.ports import free_port
from tests.support.postgres import create_database, drop_database
from tests.support.services import Services, distributed_env
from tests.support.tansu import start_tansu, stop_tansu
from tests.support.traffic import as_message, intake_event

INTAKE = "contacthub.interactions.v1"
WARM_UP = 2000  # messages: every sender of tests.support.traffic twice


@contextmanager
def broker() -> Iterator[str]:
    port = free_port()
    proc = start_tansu(port)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        stop_tansu(proc)


@dataclass
class Hub:
    """One distributed hub: its database, environment and processes."""

    env: dict[str, str]
    url: str
    services: Services
    prefix: str
    secret: bytes
    rss: dict[str, int] = field(default_factory=dict)

    @property
    def intake(self) -> str:
        return f"{self.prefix}{INTAKE}"

    def timeline_rows(self) -> int:
        with psycopg.connect(self.url) as conn:
            row = conn.execute("SELECT count(*) FROM c360_timeline").fetchone()
            return int(row[0]) if row else 0

    def sample_rss(self) -> None:
        for service in self.services.started:
            try:
                rss = psutil.Process(service.proc.pid).memory_info().rss
            except psutil.Error:
                continue
            self.rss[service.name] = max(self.rss.get(service.name, 0), rss)


@contextmanager
def distributed_hub(work: Path, bootstrap: str, name: str, public_url: str = "") -> Iterator[Hub]:
    url = create_database()
    folder = work / name
    folder.mkdir(parents=True, exist_ok=True)
    master = os.urandom(32)
    env = distributed_env(
        data_dir=folder / "data",
        database_url=url,
        bootstrap=bootstrap,
        topic_prefix=name,
        public_url=public_url or "http://127.0.0.1:8000",
        extra={
            "CONTACTHUB_MASTER_KEY": base64.b64encode(master).decode(),
            "CONTACTHUB_KAFKA_SESSION_TIMEOUT_MS": "6000",
        },
    )
    hub = Hub(env, url, Services(env, folder), name, derive_key(master, "address-key"))
    try:
        yield hub
    finally:
        hub.services.stop_all()
        drop_database(url)


async def _produce(
    bootstrap: str,
    topic: str,
    messages: list[tuple[bytes, bytes, dict[str, str]]],
    pace: float | None = None,
    stamps: list[float] | None = None,
) -> float:
    """Produces with acks=all; returns messages/s. `pace` = messages per second."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_batch_size=256 * 1024
    )
    await producer.start()
    try:
        started = time.perf_counter()
        pending = []
        for n, (key, value, headers) in enumerate(messages):
            if pace is not None:
                due = started + n / pace
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            if stamps is not None:
                stamps.append(time.perf_counter())
            pending.append(
                await producer.send(
                    topic, value, key=key, headers=[(k, v.encode()) for k, v in headers.items()]
                )
            )
        await asyncio.gather(*pending)
        return len(messages) / (time.perf_counter() - started)
    finally:
        await producer.stop()


def raw_kafka(bootstrap: str, count: int) -> tuple[float, float]:
    """aiokafka produce (acks=all) and consume msgs/s of ~600-byte messages."""
    topic = f"raw-{os.getpid()}-{time.monotonic_ns()}"
    value = os.urandom(300).hex().encode()
    messages = [(str(n % 1000).encode(), value, {}) for n in range(count)]
    produced = asyncio.run(_produce(bootstrap, topic, messages))

    async def consume() -> float:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=5000,
            fetch_max_bytes=64 * 1024 * 1024,
        )
        await consumer.start()
        try:
            parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or {0}]
            consumer.assign(parts)
            await consumer.seek_to_beginning(*parts)
            started = time.perf_counter()
            seen = 0
            while seen < count:
                batches = await consumer.getmany(timeout_ms=1000)
                seen += sum(len(b) for b in batches.values())
            return count / (time.perf_counter() - started)
        finally:
            await consumer.stop()

    return produced, asyncio.run(consume())


@dataclass(frozen=True)
class IngestResult:
    interactions: int
    seconds: float
    rate: float
    series: list[tuple[float, int]]
    peak_rss: dict[str, int]


def ingest(work: Path, bootstrap: str, count: int, log: Callable[[str], None]) -> IngestResult:
    """Intake topic -> recorder -> store -> projector -> 360, as fast as it goes.

    The whole backlog is produced first, then the recorder starts on it; the
    rate is taken from the first interaction visible in the 360 to the last.
    (Starting the recorder before producing let it work, unsampled, while the
    producer ran: a third of the rows were in before the clock started.)"""
    with distributed_hub(work, bootstrap, "ingest") as hub:
        hub.services.start("projector", "--view", "customer360", "--view", "identity")
        log(f"ingest: producing {count:,} intake messages")
        messages = [as_message(intake_event(n, hub.secret)) for n in range(count)]
        # The topics as the services make them (the recorder is not there yet).
        settings = Settings(
            data_dir=Path(hub.env["CONTACTHUB_DATA_DIR"]),
            kafka_bootstrap=bootstrap,
            kafka_topic_prefix=hub.prefix,
            kafka_partitions=int(hub.env["CONTACTHUB_KAFKA_PARTITIONS"]),
            _env_file=None,  # type: ignore[call-arg]
        )
        asyncio.run(ensure_topics(settings))
        asyncio.run(_produce(bootstrap, hub.intake, messages))
        log("ingest: starting the recorder on the backlog")
        series: list[tuple[float, int]] = []
        started = time.perf_counter()
        hub.services.start("recorder", ready_log="assigned")
        deadline = started + max(600.0, count / 500)
        while True:
            rows = hub.timeline_rows()
            now = time.perf_counter()
            series.append((now - started, rows))
            hub.sample_rss()
            if rows >= count or now > deadline:
                break
            time.sleep(0.5)
        first = next(t for t, rows in series if rows > 0)
        last = series[-1][0]
        visible = series[-1][1]
        rate = visible / max(last - first, 1e-9)
        return IngestResult(visible, last - first, rate, series, dict(hub.rss))


def gateway(work: Path, bootstrap: str, seconds: int) -> tuple[LoadResult, int]:
    """Signed Twilio webhooks/s on `contacthub run gateway` (one worker, Kafka acks=all)."""
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    with distributed_hub(work, bootstrap, "gateway", public) as hub:
        service = hub.services.start("gateway", port=port)
        lines = signed_webhooks(public, count=seconds * 4000, senders=5000)
        sampler = _Sampler(hub)
        load = run_wrk(public, lines, seconds=seconds)
        sampler.stop()
        del service
        return load, hub.rss.get("gateway", 0)


def lag(work: Path, bootstrap: str, rate: int, seconds: int) -> tuple[list[float], dict[str, int]]:
    """End-to-end lag (produced to the intake topic -> visible in the 360) at a
    steady rate, after a warm-up; each message's lag is when the 360 held as
    many rows as messages produced up to it (partitions may reorder slightly)."""
    count = rate * seconds
    with distributed_hub(work, bootstrap, "lag") as hub:
        hub.services.start("projector", "--view", "customer360", "--view", "identity")
        hub.services.start("recorder", ready_log="assigned")
        # Warm-up, not measured: the senders' first contacts (new customers) and
        # the processes' first batches; then the measured run from known senders.
        warm = [as_message(intake_event(n, hub.secret)) for n in range(WARM_UP)]
        asyncio.run(_produce(bootstrap, hub.intake, warm, pace=rate))
        deadline = time.perf_counter() + 60
        while hub.timeline_rows() < WARM_UP and time.perf_counter() < deadline:
            time.sleep(0.05)
        messages = [
            as_message(intake_event(n, hub.secret)) for n in range(WARM_UP, WARM_UP + count)
        ]
        stamps: list[float] = []
        seen: list[tuple[float, int]] = []
        done = threading.Event()

        def poll() -> None:
            while not done.is_set():
                seen.append((time.perf_counter(), hub.timeline_rows() - WARM_UP))
                hub.sample_rss()
                time.sleep(0.01)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        asyncio.run(_produce(bootstrap, hub.intake, messages, pace=rate, stamps=stamps))
        deadline = time.perf_counter() + 60
        while (not seen or seen[-1][1] < count) and time.perf_counter() < deadline:
            time.sleep(0.05)
        done.set()
        poller.join()
        lags = []
        index = 0
        for n, stamp in enumerate(stamps):
            while index < len(seen) and seen[index][1] < n + 1:
                index += 1
            if index == len(seen):
                break
            lags.append(max(0.0, seen[index][0] - stamp))
        return lags, dict(hub.rss)


class _Sampler:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.hub.sample_rss()
            self._stop.wait(0.2)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
