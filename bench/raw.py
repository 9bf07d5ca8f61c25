"""The raw limits of this machine, measured in the same run as our figures."""

from __future__ import annotations

import os
import time
from pathlib import Path
from uuid import uuid4

import orjson
from eventsourcing.persistence import InfrastructureFactory, StoredEvent
from eventsourcing.utils import Environment

from bench.load import LoadResult, request_line, run_wrk
from bench.servers import VENV_BIN, hub_env, process
from services.infra.eventstore.store import store_location
from tests.support.ports import free_port

TRIVIAL_APP = Path(__file__).parent / "trivial_app.py"

# A stored event about as large as ours (an encrypted SMS is ~600 bytes).
STATE = orjson.dumps({"type": "Raw", "body": "x" * 400, "n": 1, "at": "2026-11-23T09:00:00Z"})


def library_recorder(database_url: str | None, data_dir: Path, name: str):  # type: ignore[no-untyped-def]
    location = store_location(database_url, data_dir)
    factory = InfrastructureFactory.construct(env=Environment(name=name, env=location.env))
    return factory.application_recorder()


def batched_append(
    database_url: str | None, data_dir: Path, events: int, name: str = "raw", batch: int = 500
) -> float:
    """Events/s through the library's recorder, 500 per insert (one transaction)."""
    recorder = library_recorder(database_url, data_dir, name)
    started = time.perf_counter()
    for _ in range(events // batch):
        recorder.insert_events([StoredEvent(uuid4(), 1, "Raw", STATE) for _ in range(batch)])
    return events / (time.perf_counter() - started)


def notification_read(
    database_url: str | None, data_dir: Path, name: str, page: int = 1000
) -> float:
    """Decoded events/s reading a recorder's whole notification log."""
    recorder = library_recorder(database_url, data_dir, name)
    started = time.perf_counter()
    position, read = 0, 0
    while True:
        found = recorder.select_notifications(position, page, inclusive_of_start=False)
        if not found:
            break
        for notification in found:
            orjson.loads(notification.state)
        read += len(found)
        position = found[-1].id
    return read / (time.perf_counter() - started)


def trivial_endpoint(data_dir: Path, seconds: int) -> tuple[LoadResult, int]:
    """A FastAPI endpoint doing nothing, on the same server stack as the hub."""
    port = free_port()
    env = hub_env(data_dir, None) | {"PYTHONPATH": str(Path(__file__).parent.parent)}
    args = [
        str(VENV_BIN / "uvicorn"),
        "bench.trivial_app:app",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with process(args, env, f"http://127.0.0.1:{port}/ping") as rss:
        lines = [
            request_line(
                "POST", "/ping", {"Content-Type": "application/x-www-form-urlencoded"}, "a=1"
            )
        ]
        result = run_wrk(f"http://127.0.0.1:{port}", lines, seconds=seconds)
    return result, rss.peak


def cpu_count() -> int:
    return os.cpu_count() or 1
