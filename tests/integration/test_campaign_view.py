"""The campaigns read model on SQLite and PostgreSQL: last-touch attribution
within each window, one per customer and kind, delivery from status reports;
the same rows whether the log comes in many batches or in one (a rebuild)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from events import (
    CampaignCreated,
    CampaignSendRecorded,
    ConsentChanged,
    Event,
    OrderLine,
    OrderPlaced,
    SmsReceived,
    SmsStatus,
    SmsStatusChanged,
    campaign_send_id,
)
from projections.campaigns import Campaigns
from services.infra.settings import Settings
from services.wiring.hub import open_views

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
X, Y = UUID(int=0xA1), UUID(int=0xB2)
WEEKLY, DAILY = UUID(int=0xC1), UUID(int=0xC2)
SEGMENT = UUID(int=0xD1)


@pytest.fixture
def view(tmp_path: Path, database_url: str | None) -> Iterator[Campaigns]:
    settings = Settings(data_dir=tmp_path, database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    yield open_views(settings).campaigns


def created(campaign: UUID, window_days: int) -> CampaignCreated:
    return CampaignCreated(
        event_id=uuid4(),
        originator_id=campaign,
        occurred_at=T0 - DAY,
        name=f"c{window_days}",
        segment_id=SEGMENT,
        channel="sms",
        kind="newsletter",
        body="Hallo",
        attribution_window_days=window_days,
        throttle_per_minute=10,
        created_by="sue",
    )


def send(
    campaign: UUID, customer: UUID, at: datetime, outcome: str = "sent"
) -> CampaignSendRecorded:
    return CampaignSendRecorded(
        event_id=uuid4(),
        originator_id=campaign_send_id(campaign, customer),
        customer_id=customer,
        occurred_at=at,
        campaign_id=campaign,
        outcome=outcome,  # type: ignore[arg-type]
        interaction_id=UUID(int=campaign.int + customer.int) if outcome == "sent" else None,
        status="queued" if outcome == "sent" else "",
    )


def reply(customer: UUID, at: datetime, body: str = "Gerne") -> SmsReceived:
    eid = uuid4()
    return SmsReceived(
        event_id=eid,
        originator_id=eid,
        customer_id=customer,
        occurred_at=at,
        channel="sms",
        provider_message_id=f"SM{eid.hex}",
        from_address="+4917611112222",
        to_address="+4930901820",
        address_key="k",
        body=body,
    )


def ordered(customer: UUID, at: datetime) -> OrderPlaced:
    line = OrderLine(sku="COF-01", quantity=1, unit_price="2.00")  # type: ignore[arg-type]
    return OrderPlaced(
        event_id=uuid4(),
        originator_id=uuid4(),
        customer_id=customer,
        occurred_at=at,
        order_id=str(at),
        currency="EUR",
        lines=(line,),
    )


def opted_out(customer: UUID, at: datetime) -> ConsentChanged:
    return ConsentChanged(
        event_id=uuid4(), originator_id=customer, customer_id=customer, occurred_at=at,
        channel="sms", granted=False, purpose="marketing",
    )  # fmt: skip


def delivered(campaign: UUID, customer: UUID) -> SmsStatusChanged:
    return SmsStatusChanged(
        event_id=uuid4(),
        originator_id=UUID(int=campaign.int + customer.int),
        customer_id=customer,
        occurred_at=T0 + HOUR,
        status=SmsStatus.DELIVERED,
    )


def attributed(view: Campaigns) -> dict[str, list[tuple[str, str]]]:
    return {
        name: [(r["kind"], r["customer_id"]) for r in view.attributions(campaign)]
        for name, campaign in (("weekly", WEEKLY), ("daily", DAILY))
    }


def test_attribution_is_last_touch_once_per_kind_in_any_batching(view: Campaigns) -> None:
    batches: list[list[Event]] = [
        [created(WEEKLY, 7), created(DAILY, 1), reply(X, T0 - HOUR)],  # before any send
        [send(WEEKLY, X, T0), send(WEEKLY, Y, T0, "refused"), reply(X, T0 + HOUR)],
        [delivered(WEEKLY, X), reply(Y, T0 + HOUR), reply(X, T0 + 2 * HOUR, " STOP ")],
        [send(DAILY, X, T0 + 2 * DAY), ordered(X, T0 + 2 * DAY + HOUR)],
        [ordered(X, T0 + 2 * DAY + 2 * HOUR), opted_out(X, T0 + 5 * DAY)],
        [ordered(X, T0 + 9 * DAY)],  # past both windows
    ]
    position = 0
    for batch in batches:
        position += len(batch)
        view.process_batch(batch, position)
    expected = {
        "weekly": [("opt_out", str(X)), ("reply", str(X))],
        "daily": [("order", str(X))],
    }
    assert attributed(view) == expected
    sends = {r["customer_id"]: r for r in view.sends(WEEKLY)}
    assert (sends[str(X)]["delivery"], sends[str(Y)]["outcome"]) == ("delivered", "refused")
    live = view.checksum()

    # A rebuild takes the whole log in one batch: the same rows.
    view.drop()
    everything = [event for batch in batches for event in batch]
    view.process_batch(everything, len(everything))
    assert attributed(view) == expected
    assert view.checksum() == live


def test_a_campaign_lists_and_reads_back(view: Campaigns) -> None:
    view.process_batch([created(WEEKLY, 7)], 1)
    row: dict[str, Any] | None = view.get(WEEKLY)
    assert row is not None and row["status"] == "draft" and row["window_days"] == 7
    assert [r["campaign_id"] for r in view.listing()] == [str(WEEKLY)]
    assert view.running() == [] and view.get(DAILY) is None
