"""Fixtures for the distributed hub: one real Kafka-protocol broker per session
(tansu), a fresh PostgreSQL database and a topic prefix of its own per test,
and the services as separate `contacthub run ...` processes."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.infra.settings import Settings
from tests.support.ports import free_port
from tests.support.services import Services, distributed_env
from tests.support.sources import choose, kafka_bootstrap


@pytest.fixture(scope="session")
def broker() -> Iterator[str]:
    """host:port of a Kafka-protocol broker for the whole session: tansu on
    loopback, or Apache Kafka in a container (tests/support/sources.py)."""
    with kafka_bootstrap(choose(os.environ).kafka) as bootstrap:
        yield bootstrap


@pytest.fixture
def topic_prefix() -> str:
    """Topics and groups of their own per test: tests share the session's broker."""
    return f"t{uuid.uuid4().hex[:10]}."


@pytest.fixture
def gateway_port() -> int:
    return free_port()


@pytest.fixture
def env(
    tmp_path: Path, postgres_url: str, broker: str, topic_prefix: str, gateway_port: int
) -> dict[str, str]:
    return distributed_env(
        data_dir=tmp_path / "data",
        database_url=postgres_url,
        bootstrap=broker,
        topic_prefix=topic_prefix,
        public_url=f"http://127.0.0.1:{gateway_port}",
    )


@pytest.fixture
def settings_of_env(env: dict[str, str]) -> Settings:
    """The same configuration as the services, for reading the store in the test."""
    values = {
        k[len("CONTACTHUB_") :].lower(): v for k, v in env.items() if k.startswith("CONTACTHUB_")
    }
    return Settings(**values, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def services(
    env: dict[str, str], tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Services]:
    running = Services(env, tmp_path)
    try:
        yield running
    finally:
        running.stop_all()
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            print(running.logs())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)
