"""Fixtures: every end-to-end test runs against SQLite and PostgreSQL both."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.infra.auth import Role
from services.infra.settings import Settings
from services.wiring.hub import Hub, build_hub
from tests.support.hub import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, running_hub
from tests.support.ports import free_port
from tests.support.postgres import create_database, disconnect, drop_database
from tests.support.sources import choose, postgres_admin_url
from tests.support.twilio_standin import TwilioStandIn


@pytest.fixture(scope="session", autouse=True)
def postgres_server() -> Iterator[str]:
    """The PostgreSQL server of the session (tests/support/sources.py chooses:
    the local one, or a container with CONTACTHUB_TEST_CONTAINERS=1)."""
    with postgres_admin_url(choose(os.environ).postgres) as url:
        yield url


@pytest.fixture(scope="session")
def hub_schema(postgres_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL database with every table a hub creates and nothing else, to
    copy: CREATE DATABASE ... TEMPLATE takes a fraction of the second that
    creating the tables takes, and the end-to-end tests make hundreds of hubs.
    A hub still runs its own set-up on the copy (every statement IF NOT EXISTS)."""
    url = create_database()
    try:
        data = tmp_path_factory.mktemp("hub-schema")
        build_hub(Settings(data_dir=data, database_url=url, _env_file=None)).close()  # type: ignore[call-arg]
        disconnect(url)
        yield url
    finally:
        drop_database(url)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for the embedded SQLite store, else a fresh PostgreSQL database
    (with the hub's tables already there, `hub_schema`)."""
    if request.param == "sqlite":
        yield None
        return
    url = create_database(template=request.getfixturevalue("hub_schema"))
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    url = create_database()
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture
def twilio() -> Iterator[TwilioStandIn]:
    with TwilioStandIn(ACCOUNT_SID, AUTH_TOKEN) as standin:
        yield standin


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str | None, twilio: TwilioStandIn, port: int
) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        public_url=f"http://127.0.0.1:{port}",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_api_base=twilio.base_url,
        twilio_from_number=OUR_NUMBER,
        # Tests run at any hour; tests of quiet hours set their own window.
        quiet_hours="",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def hub(settings: Settings, port: int) -> Iterator[Hub]:
    with running_hub(settings, port) as running:
        yield running


@pytest.fixture
def base_url(hub: Hub, port: int) -> str:
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


@pytest.fixture
def agent_token(hub: Hub) -> str:
    return hub.tokens.create(Role.AGENT, "agent.test")


@pytest.fixture
def api(client: httpx.Client, base_url: str, agent_token: str) -> Any:
    """An httpx client for the agent API with a valid agent token."""
    with httpx.Client(
        base_url=base_url + "/api/v1",
        headers={"Authorization": f"Bearer {agent_token}"},
        timeout=10,
    ) as c:
        yield c


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """The chaos test's figures, without -s (tests/integration/test_chaos.py).
    Here, not in tests/integration: under pytest-xdist only the top conftest is
    loaded by the process that prints the summary.
    Read from the reports' user properties (`record_property`), which pytest-xdist
    carries from its workers to the process that prints the summary."""
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", None) != "call":
                continue
            for name, value in getattr(report, "user_properties", []):
                if name == "chaos":
                    terminalreporter.write_sep("-", f"chaos report ({outcome})")
                    terminalreporter.write_line(str(value))
