"""CONTACTHUB_TEST_CONTAINERS chooses where PostgreSQL and Kafka come from
(tests/support/sources.py). No Docker engine runs here: these tests check the
choice and that the container path names testcontainers' own modules, without
starting one."""

from __future__ import annotations

import pytest

from tests.support import postgres, sources
from tests.support.sources import ENV_VAR, Sources, choose


@pytest.mark.parametrize("env", [{}, {ENV_VAR: ""}, {ENV_VAR: "0"}, {ENV_VAR: " 0 "}])
def test_unset_or_zero_uses_the_services_of_this_machine(env: dict[str, str]) -> None:
    assert choose(env) == Sources(postgres="local", kafka="local")


def test_one_uses_containers_for_both() -> None:
    assert choose({ENV_VAR: "1"}) == Sources(postgres="container", kafka="container")


@pytest.mark.parametrize("value", ["yes", "true", "2", "docker"])
def test_any_other_value_is_refused_rather_than_guessed(value: str) -> None:
    with pytest.raises(ValueError, match=ENV_VAR):
        choose({ENV_VAR: value})


def test_the_container_path_uses_testcontainers_modules() -> None:
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.postgres import PostgresContainer

    assert sources.container_class("postgres") is PostgresContainer
    assert sources.container_class("kafka") is KafkaContainer


def test_the_local_postgres_is_the_one_run_sh_provisions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(postgres.ENV_VAR, "postgresql://u:p@127.0.0.1:5999/x")
    with sources.postgres_admin_url("local") as url:
        assert url == "postgresql://u:p@127.0.0.1:5999/x"
    monkeypatch.delenv(postgres.ENV_VAR)
    with sources.postgres_admin_url("local") as url:
        assert url == postgres.DEFAULT_URL


def test_the_local_kafka_is_a_tansu_broker_that_accepts_connections() -> None:
    import socket

    with sources.kafka_bootstrap("local") as bootstrap:
        host, _, port = bootstrap.rpartition(":")
        assert host == "127.0.0.1"
        with socket.create_connection((host, int(port)), timeout=2):
            pass
