"""Where the tests' PostgreSQL and Kafka come from: the one place that chooses.

By default, the services the test command starts on this machine: the
PostgreSQL server tests/run.sh provisions (tests/support/postgres.py) and a
tansu broker per session (tests/support/tansu.py). With
CONTACTHUB_TEST_CONTAINERS=1, on a machine with a Docker engine, containers
started by testcontainers' modules instead: PostgreSQL and Apache Kafka, the
real broker with its idempotent producer and transactions. The suite is the
same either way; only the URLs differ.

testcontainers is imported only on the container path: without Docker, the
default path never touches it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from tests.support import postgres
from tests.support.ports import free_port
from tests.support.tansu import start_tansu, stop_tansu

ENV_VAR = "CONTACTHUB_TEST_CONTAINERS"
POSTGRES_IMAGE = "postgres:16-alpine"
KAFKA_IMAGE = "confluentinc/cp-kafka:7.6.1"

Source = Literal["local", "container"]


@dataclass(frozen=True)
class Sources:
    postgres: Source
    kafka: Source


def choose(env: Mapping[str, str]) -> Sources:
    """The source of each service for this environment. Anything but unset,
    empty, 0 or 1 is refused: a typo must not silently test the other path."""
    value = env.get(ENV_VAR, "").strip()
    if value in ("", "0"):
        return Sources(postgres="local", kafka="local")
    if value == "1":
        return Sources(postgres="container", kafka="container")
    raise ValueError(f"{ENV_VAR} must be 1 (containers) or 0/unset (local), not {value!r}")


def container_class(service: Literal["postgres", "kafka"]) -> Any:
    """testcontainers' module for a service (importing it needs no Docker engine)."""
    if service == "postgres":
        from testcontainers.community.postgres import PostgresContainer

        return PostgresContainer
    from testcontainers.community.kafka import KafkaContainer

    return KafkaContainer


@contextmanager
def postgres_admin_url(source: Source) -> Iterator[str]:
    """The maintenance database URL tests create their databases from."""
    if source == "local":
        yield postgres.admin_url()
        return
    container = container_class("postgres")(
        POSTGRES_IMAGE, username="contacthub", password="contacthub", dbname="contacthub"
    )
    with container:
        url: str = container.get_connection_url(driver=None)
        # postgres.admin_url() reads it from there: every fixture then uses the container.
        previous = os.environ.get(postgres.ENV_VAR)
        os.environ[postgres.ENV_VAR] = url
        try:
            yield url
        finally:
            if previous is None:
                os.environ.pop(postgres.ENV_VAR, None)
            else:
                os.environ[postgres.ENV_VAR] = previous


@contextmanager
def kafka_bootstrap(source: Source) -> Iterator[str]:
    """host:port of a Kafka-protocol broker for the session."""
    if source == "local":
        port = free_port()
        proc: subprocess.Popen[bytes] = start_tansu(port)
        try:
            yield f"127.0.0.1:{port}"
        finally:
            stop_tansu(proc)
        return
    with container_class("kafka")(KAFKA_IMAGE) as kafka:
        bootstrap: str = kafka.get_bootstrap_server()
        yield bootstrap
