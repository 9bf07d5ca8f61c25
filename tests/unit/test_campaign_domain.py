"""The pure campaign decisions against hand-worked values: placeholders, the
campaign's life, the throttle, last-touch attribution and the report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain import campaigns
from domain.campaigns import (
    CampaignAlreadyStarted,
    InvalidCampaign,
    NewCampaign,
    Touch,
)
from events import (
    ConsentChanged,
    OrderLine,
    OrderPlaced,
    SmsReceived,
)

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
CUSTOMER = UUID("00000000-0000-0000-0000-0000000000c1")
SEGMENT = UUID("00000000-0000-0000-0000-0000000000d1")


def new(body: str = "Hallo {first_name}!", channel: str = "sms", subject: str = "") -> NewCampaign:
    return NewCampaign(uuid4(), "Herbst", SEGMENT, channel, "newsletter", subject, body, 7, 2)  # type: ignore[arg-type]


def test_a_template_names_only_known_placeholders() -> None:
    assert campaigns.placeholders("Hallo {first_name} {last_name}, {name}") == [
        "first_name",
        "last_name",
        "name",
    ]
    for bad in ("{vorname}", "{0}", "{first_name.x}", "{first_name!r}", "{first_name:>9}", "{"):
        with pytest.raises(InvalidCampaign):
            campaigns.placeholders(bad)
    with pytest.raises(InvalidCampaign, match="subject"):
        campaigns.create(new(channel="email"), event_id=uuid4(), now=T0, by="sue")
    with pytest.raises(InvalidCampaign, match="unknown placeholder"):
        campaigns.create(new("Hi {Name}"), event_id=uuid4(), now=T0, by="sue")


def test_rendering_fills_the_profile_fields() -> None:
    fields = campaigns.profile_fields("  Erika   Maria Muster ")
    assert fields == {
        "first_name": "Erika",
        "last_name": "Maria Muster",
        "name": "Erika Maria Muster",
    }
    assert (
        campaigns.render("Hallo {first_name} ({name})", fields)
        == "Hallo Erika (Erika Maria Muster)"
    )
    assert campaigns.render("Hallo {first_name}!", campaigns.profile_fields("")) == "Hallo !"
    assert campaigns.render("{{first_name}} bleibt", fields) == "{first_name} bleibt"


def test_a_campaign_starts_once_on_its_snapshot_and_finishes_once() -> None:
    created = campaigns.create(new(), event_id=uuid4(), now=T0, by="sue")
    state = campaigns.fold([created])
    assert state is not None and state.status == "draft"
    a, b = uuid4(), uuid4()
    started = campaigns.start(state, [a, b, a], event_id=uuid4(), now=T0, by="sue")
    assert started.members == (a, b) and started.originator_version == 2
    running = campaigns.fold([created, started])
    assert running is not None and running.status == "running"
    with pytest.raises(CampaignAlreadyStarted):
        campaigns.start(running, [a], event_id=uuid4(), now=T0, by="sue")
    [finished] = campaigns.finish(running, sends=2, event_id=uuid4(), now=T0)
    done = campaigns.fold([created, started, finished])
    assert done is not None and done.status == "finished"
    assert campaigns.finish(done, sends=2, event_id=uuid4(), now=T0) == []
    assert campaigns.finish(state, sends=0, event_id=uuid4(), now=T0) == []  # never started


def test_the_throttle_counts_the_last_minute_only() -> None:
    recent = [T0 - timedelta(seconds=61), T0 - timedelta(seconds=30), T0 - timedelta(seconds=1)]
    assert campaigns.allowance(recent, T0, 5) == 3
    assert campaigns.allowance(recent, T0, 2) == 0
    assert campaigns.allowance([], T0, 2) == 2


def test_attribution_is_the_last_touch_within_its_window() -> None:
    week, day = timedelta(days=7), timedelta(days=1)
    touches = [Touch("old", T0, week), Touch("new", T0 + 2 * day, day)]
    assert campaigns.attribute(touches, T0 - timedelta(seconds=1)) is None  # before any send
    assert campaigns.attribute(touches, T0 + day) == "old"
    assert campaigns.attribute(touches, T0 + 2 * day) == "new"
    assert campaigns.attribute(touches, T0 + 3 * day) == "new"  # the window's last instant
    # Past the newest window the older campaign's still covers it.
    assert campaigns.attribute(touches, T0 + 4 * day) == "old"
    assert campaigns.attribute(touches, T0 + 8 * day) is None


def test_what_counts_as_a_reply_an_opt_out_and_an_order() -> None:
    common = {"originator_id": uuid4(), "customer_id": CUSTOMER, "occurred_at": T0}
    sms = {"channel": "sms", "from_address": "+491761", "address_key": "k", **common}
    sms |= {"provider_message_id": "SM1", "to_address": "+4930"}
    assert (
        campaigns.attribution_kind(SmsReceived(event_id=uuid4(), body="Gerne!", **sms)) == "reply"
    )
    assert campaigns.attribution_kind(SmsReceived(event_id=uuid4(), body=" stop ", **sms)) is None
    unresolved = SmsReceived(event_id=uuid4(), body="Hi", **{**sms, "customer_id": None})
    assert campaigns.attribution_kind(unresolved) is None

    def consent(granted: bool, purpose: str | None) -> ConsentChanged:
        return ConsentChanged(
            event_id=uuid4(),
            channel="sms",
            granted=granted,
            purpose=purpose,
            **common,  # type: ignore[arg-type]
        )

    assert campaigns.attribution_kind(consent(False, None)) == "opt_out"
    assert campaigns.attribution_kind(consent(False, "marketing")) == "opt_out"
    assert campaigns.attribution_kind(consent(False, "service")) is None
    assert campaigns.attribution_kind(consent(True, "marketing")) is None
    line = OrderLine(sku="COF-01", quantity=1, unit_price="1.00")  # type: ignore[arg-type]
    placed = OrderPlaced(event_id=uuid4(), order_id="1", currency="EUR", lines=(line,), **common)
    assert campaigns.attribution_kind(placed) == "order"


def test_the_report_figures() -> None:
    sends = [
        {"outcome": "sent", "delivery": "delivered"},
        {"outcome": "sent", "delivery": "undelivered"},
        {"outcome": "sent", "delivery": ""},
        {"outcome": "sent", "delivery": ""},
        {"outcome": "refused", "delivery": ""},
        {"outcome": "failed", "delivery": ""},
    ]
    f = campaigns.figures(8, sends, {"reply": 2, "order": 1, "opt_out": 1})
    assert (f.members, f.sent, f.refused, f.failed, f.pending) == (8, 4, 1, 1, 2)
    assert (f.delivered, f.undelivered, f.replies, f.orders, f.opt_outs) == (1, 1, 2, 1, 1)
    assert f.reach == 4 and f.conversion_rate == 0.25 and f.rate(f.replies) == 0.5
    assert campaigns.figures(3, [], {}).conversion_rate == 0.0
    assert [r[0] for r in f.rows()][:5] == ["members", "sent", "delivered", "replies", "orders"]
    assert campaigns.delivery_of("posted") == "delivered"
    assert campaigns.delivery_of("bounced") == "undelivered"
    assert campaigns.delivery_of("queued") == ""
