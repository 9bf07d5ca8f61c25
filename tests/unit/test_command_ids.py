"""The id a create command gives its stream (services/entry/api/command_ids.py)
and the answer it reads back (services/entry/api/read_your_writes.py)."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

import pytest
from fastapi import HTTPException

from services.entry.api.command_ids import command_id
from services.entry.api.read_your_writes import settled_row

CUSTOMER = UUID("6c1f0c7e-3a55-4b8e-9d0a-2f4e8b1c9a77")
OTHER = UUID("0b7d6a52-94f1-4f8c-8b5e-1d2c3e4f5a6b")


def test_a_key_sent_again_names_the_same_stream_as_it_always_did() -> None:
    first = command_id(CUSTOMER, "appointment", "key-1")
    assert first == command_id(CUSTOMER, "appointment", "key-1")
    assert first == uuid5(CUSTOMER, "appointment/key-1")  # the derivation clients rely on


def test_the_key_is_scoped_by_owner_and_kind() -> None:
    ids = {
        command_id(CUSTOMER, "appointment", "key-1"),
        command_id(OTHER, "appointment", "key-1"),
        command_id(CUSTOMER, "opportunity", "key-1"),
    }
    assert len(ids) == 3


def test_without_a_key_every_command_creates_anew() -> None:
    assert command_id(CUSTOMER, "appointment", None) != command_id(CUSTOMER, "appointment", None)
    assert command_id(CUSTOMER, "appointment", "") != command_id(CUSTOMER, "appointment", "")


class Projector:
    def __init__(self) -> None:
        self.waited: list[int] = []

    def wait_for(self, notification_id: int, timeout: float) -> None:
        self.waited.append(notification_id)


class FakeHub:
    def __init__(self) -> None:
        self.projector = Projector()
        self.wakes = 0

    def wake_followers(self) -> None:
        self.wakes += 1


def test_settled_row_waits_for_the_write_then_reads_it() -> None:
    hub: Any = FakeHub()
    assert settled_row(hub, 7, lambda: {"id": 1}) == {"id": 1}
    assert hub.wakes == 1  # the followers, wherever they run, look now
    assert hub.projector.waited == [7]


def test_no_row_after_settling_is_503_naming_the_views() -> None:
    hub: Any = FakeHub()
    with pytest.raises(HTTPException) as raised:
        settled_row(hub, None, lambda: None, views="queues")
    assert raised.value.status_code == 503
    assert raised.value.detail == "the queues are catching up"
    assert hub.projector.waited == []  # nothing written, nothing to wait for
