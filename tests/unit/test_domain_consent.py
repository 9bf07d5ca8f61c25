"""The pure contact decision: consent on every channel, quiet hours on intrusive
ones, and the 24-hour reply exemption for an agent's text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.consent import QuietHours, decide_contact
from events import ConsentChanged
from events.envelope import Channel

CUSTOMER = uuid4()
NIGHT = datetime(2025, 3, 4, 22, 30, tzinfo=UTC)  # 23:30 in Berlin: quiet
NOON = datetime(2025, 3, 4, 11, 0, tzinfo=UTC)  # 12:00 in Berlin
QUIET = QuietHours.parse("20:00-08:00", "Europe/Berlin")


def consent(channel: Channel, granted: bool, version: int = 1) -> ConsentChanged:
    return ConsentChanged(
        event_id=uuid4(),
        originator_id=CUSTOMER,
        originator_version=version,
        customer_id=CUSTOMER,
        occurred_at=NOON - timedelta(days=3),
        channel=channel,
        granted=granted,
    )


@pytest.mark.parametrize("channel", ["sms", "whatsapp", "email", "voice", "letter"])
def test_an_opt_out_refuses_every_channel_at_any_hour_and_names_its_consent(
    channel: Channel,
) -> None:
    out = consent(channel, False)
    for now in (NOON, NIGHT):
        decision = decide_contact([out], channel, now, QUIET, last_inbound_at=now)
        assert not decision.allowed
        assert decision.reason == f"the customer opted out of {channel}"
        assert decision.consent_id == out.event_id


def test_the_consent_relied_on_is_the_latest_for_the_channel_or_none() -> None:
    first, again = consent("sms", False, 1), consent("sms", True, 2)
    other = consent("email", False, 3)
    allowed = decide_contact([first, again, other], "sms", NOON, QUIET)
    assert allowed.allowed and allowed.consent_id == again.event_id
    default = decide_contact([other], "voice", NOON, QUIET)
    assert default.allowed and default.consent_id is None  # default service consent


@pytest.mark.parametrize("channel", ["sms", "whatsapp", "voice"])
def test_quiet_hours_hold_back_unprompted_calls_and_texts(channel: Channel) -> None:
    decision = decide_contact([], channel, NIGHT, QUIET)
    assert not decision.allowed
    assert decision.reason == (
        f"quiet hours (20:00-08:00 Europe/Berlin): no {channel} contact until 08:00 local time"
    )
    assert decide_contact([], channel, NOON, QUIET).allowed
    assert decide_contact([], channel, NIGHT, None).allowed  # no quiet hours configured


@pytest.mark.parametrize("channel", ["email", "letter"])
def test_email_and_letters_are_not_intrusive(channel: Channel) -> None:
    assert decide_contact([], channel, NIGHT, QUIET, initiated_by="hub").allowed


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_an_agents_reply_within_24_hours_of_the_customers_message_is_not_held_back(
    channel: Channel,
) -> None:
    for ago in (timedelta(minutes=5), timedelta(hours=24)):
        decision = decide_contact([], channel, NIGHT, QUIET, last_inbound_at=NIGHT - ago)
        assert decision.allowed, ago
        assert "reply" in decision.reason
    stale = NIGHT - timedelta(hours=24, seconds=1)
    assert not decide_contact([], channel, NIGHT, QUIET, last_inbound_at=stale).allowed


def test_the_hub_and_calls_get_no_reply_exemption() -> None:
    recent = NIGHT - timedelta(minutes=5)
    campaign = decide_contact([], "sms", NIGHT, QUIET, initiated_by="hub", last_inbound_at=recent)
    assert not campaign.allowed and "quiet hours" in campaign.reason
    call = decide_contact([], "voice", NIGHT, QUIET, last_inbound_at=recent)
    assert not call.allowed and "quiet hours" in call.reason


def test_a_recent_message_does_not_lift_an_opt_out() -> None:
    decision = decide_contact(
        [consent("sms", False)], "sms", NIGHT, QUIET, last_inbound_at=NIGHT - timedelta(minutes=1)
    )
    assert not decision.allowed and decision.reason == "the customer opted out of sms"
