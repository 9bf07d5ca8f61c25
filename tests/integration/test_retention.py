"""The retention policy and what erasure leaves for a replay, on SQLite and
PostgreSQL, through the real `contacthub retention run` and `contacthub replay`:
a customer without contact for longer than the policy is erased (a dry run only
names them), a recent one is kept, the views rebuild to the same checksums, and
a later contact from the erased address makes a new customer."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from domain.erasure import is_erased
from events import (
    ERASED,
    AddressClaimed,
    AddressReleased,
    SmsReceived,
    address_claim_id,
    customer_id_for_address,
    provider_event_id,
)
from services.infra.settings import Settings
from services.wiring.hub import Hub, build_hub
from tests.support.cli import cli_env, run_cli
from tests.support.hub import wait_until

LONG_AGO = datetime(2020, 3, 1, 9, 0, tzinfo=UTC)
OLD_NUMBER, OLD_KEY = "+4917611100001", "retention-old"
NEW_NUMBER, NEW_KEY = "+4917611100002", "retention-new"


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        retention_months=24,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def hub(settings: Settings) -> Iterator[Hub]:
    built = build_hub(settings, parts=("projector", "erasure"))
    try:
        yield built
    finally:
        built.close()


def sms(n: int, number: str, key: str, at: datetime) -> SmsReceived:
    sid = f"SM{n:032x}"
    event_id = provider_event_id("twilio", "message", sid)
    return SmsReceived(
        event_id=event_id,
        originator_id=event_id,
        occurred_at=at,
        provider_message_id=sid,
        from_address=number,
        to_address="+4930901820",
        address_key=key,
        body=f"Nachricht {n} von {number}",
    )


def received(hub: Hub, message: SmsReceived) -> UUID:
    recorded = hub.recorder.record(message)
    assert recorded.customer_id is not None
    hub.projector.catch_up()
    return recorded.customer_id


def said(result: subprocess.CompletedProcess[str]) -> str:
    """What the command told its user (on standard error, wrapped to the width)."""
    return " ".join(result.stderr.split())


def checksums(hub: Hub) -> dict[str, str]:
    return {view.name: view.checksum() for view in hub.views.all}


def test_retention_erases_whom_the_policy_names_and_the_views_rebuild_the_same(
    hub: Hub, settings: Settings
) -> None:
    old = received(hub, sms(1, OLD_NUMBER, OLD_KEY, LONG_AGO))
    new = received(hub, sms(2, NEW_NUMBER, NEW_KEY, datetime.now(UTC) - timedelta(days=30)))
    env = {**cli_env(settings), "CONTACTHUB_RETENTION_MONTHS": "24"}

    dry = run_cli(env, "retention", "run", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.split()[:1] == [str(old)]
    assert "1 customers due for erasure" in said(dry)
    assert hub.store.stream(old)[0].display_name == ""  # type: ignore[attr-defined]
    [first] = [e for e in hub.store.stream(old) if e.type == "ChannelAddressLinked"]
    assert first.address == OLD_NUMBER  # type: ignore[attr-defined]  # a dry run erases nothing

    events = hub.store.max_notification_id()
    done = run_cli(env, "retention", "run")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:1] == [str(old)] and "1 customers erased" in said(done)
    # One release and one erasure appended; nothing removed.
    assert hub.store.max_notification_id() == events + 2
    [linked] = [e for e in hub.store.stream(old) if e.type == "ChannelAddressLinked"]
    assert linked.address == ERASED  # type: ignore[attr-defined]
    [message] = hub.store.stream(sms(1, OLD_NUMBER, OLD_KEY, LONG_AGO).originator_id)
    assert message.body == ERASED  # type: ignore[attr-defined]
    [kept] = [e for e in hub.store.stream(new) if e.type == "ChannelAddressLinked"]
    assert kept.address == NEW_NUMBER  # type: ignore[attr-defined]

    hub.projector.catch_up()
    assert hub.views.identity.customer_for("sms", OLD_NUMBER) is None
    assert hub.views.identity.customer_for("sms", NEW_NUMBER) == new
    [row] = hub.views.customer360.timeline(old, 10)
    assert (row["channel"], row["direction"], row["summary"], row["address"]) == (
        "sms",
        "inbound",
        "",
        "",
    )
    assert run_cli(env, "retention", "run").stdout.split()[:1] != [str(old)]  # erased once

    live = checksums(hub)
    replay = run_cli(cli_env(settings), "replay")
    assert replay.returncode == 0, replay.stderr
    rebuilt = dict(line.split() for line in replay.stdout.strip().splitlines()[-len(live) :])
    assert rebuilt == live

    # A new contact from the erased number: a new customer, the claim's next version.
    again = received(hub, sms(3, OLD_NUMBER, OLD_KEY, datetime.now(UTC)))
    assert again == customer_id_for_address(OLD_KEY, 1) and again != old
    claims = hub.store.stream(address_claim_id(OLD_KEY))
    assert [type(e) for e in claims] == [AddressClaimed, AddressReleased, AddressClaimed]
    assert hub.views.identity.customer_for("sms", OLD_NUMBER) == again


def test_without_a_policy_the_command_says_what_to_set(settings: Settings) -> None:
    result = run_cli(cli_env(settings), "retention", "run", "--dry-run")
    assert result.returncode != 0
    assert "CONTACTHUB_RETENTION_MONTHS" in result.stdout + result.stderr


def test_the_scheduled_job_erases_on_its_own(hub: Hub) -> None:
    old = received(hub, sms(1, OLD_NUMBER, OLD_KEY, LONG_AGO))
    new = received(hub, sms(2, NEW_NUMBER, NEW_KEY, datetime.now(UTC)))
    hub.retention_job.start()
    hub.retention_job.wake()  # what `serve` does at start-up
    wait_until(lambda: is_erased(hub.store.stream(old)))
    assert not is_erased(hub.store.stream(new))


def test_an_erasure_interrupted_after_its_events_is_completed_by_asking_again(hub: Hub) -> None:
    old = received(hub, sms(1, OLD_NUMBER, OLD_KEY, LONG_AGO))
    events = hub.store.max_notification_id()
    hub.erasure._record(old, "ticket 9", "root")  # then the process died
    assert not hub.store.keys.is_destroyed(old)

    report = hub.erasure.erase(old, reason="ticket 9", erased_by="root")

    assert report.erased and hub.store.keys.is_destroyed(old)
    assert hub.store.max_notification_id() == events + 2  # nothing recorded twice
    [message] = hub.store.stream(sms(1, OLD_NUMBER, OLD_KEY, LONG_AGO).originator_id)
    assert message.body == ERASED  # type: ignore[attr-defined]
    assert not hub.erasure.erase(old, reason="ticket 9", erased_by="root").erased
