"""Consent per purpose and the STOP/START keywords, as pure decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.consent import changes_anything, consent_by_purpose, decide_contact
from domain.consent_keywords import keyword_consent, keyword_consent_event
from domain.unsubscribe import signature, signature_valid, unsubscribe_url
from events import ConsentChanged, Purpose, SmsReceived
from events.envelope import Channel

CUSTOMER = uuid4()
NOON = datetime(2025, 3, 4, 11, 0, tzinfo=UTC)


def consent(
    channel: Channel, granted: bool, purpose: Purpose | None = None, version: int = 1
) -> ConsentChanged:
    return ConsentChanged(
        event_id=uuid4(),
        originator_id=CUSTOMER,
        originator_version=version,
        customer_id=CUSTOMER,
        occurred_at=NOON - timedelta(days=1),
        channel=channel,
        granted=granted,
        purpose=purpose,
    )


def test_without_a_decision_service_is_allowed_and_marketing_is_not() -> None:
    assert decide_contact([], "sms", NOON, None).allowed
    refused = decide_contact([], "sms", NOON, None, purpose="marketing")
    assert not refused.allowed
    assert refused.reason == "the customer has not opted in to marketing over sms"
    assert refused.consent_id is None


def test_a_marketing_opt_in_allows_marketing_on_that_channel_only() -> None:
    opt_in = consent("email", True, "marketing")
    allowed = decide_contact([opt_in], "email", NOON, None, purpose="marketing")
    assert allowed.allowed and allowed.consent_id == opt_in.event_id
    assert not decide_contact([opt_in], "sms", NOON, None, purpose="marketing").allowed
    # Service contact relies on no decision: the marketing opt-in is not its proof.
    service = decide_contact([opt_in], "email", NOON, None)
    assert service.allowed and service.consent_id is None


def test_a_marketing_opt_out_leaves_service_contact_alone() -> None:
    history = [consent("sms", True, "marketing"), consent("sms", False, "marketing", 2)]
    refused = decide_contact(history, "sms", NOON, None, purpose="marketing")
    assert refused.reason == "the customer opted out of marketing over sms"
    assert decide_contact(history, "sms", NOON, None).allowed


def test_a_channel_wide_opt_out_stops_every_purpose_until_a_later_decision() -> None:
    marketing = consent("sms", True, "marketing")
    stop = consent("sms", False, None, 2)
    start = consent("sms", True, "service", 3)
    for purpose in ("service", "marketing"):
        decision = decide_contact([marketing, stop], "sms", NOON, None, purpose=purpose)
        assert not decision.allowed and decision.reason == "the customer opted out of sms"
        assert decision.consent_id == stop.event_id
    after_start = [marketing, stop, start]
    assert decide_contact(after_start, "sms", NOON, None).consent_id == start.event_id
    # START restores service messages; marketing stays stopped.
    assert not decide_contact(after_start, "sms", NOON, None, purpose="marketing").allowed
    assert consent_by_purpose(after_start) == {"sms": {"service": True, "marketing": False}}


def test_repeating_a_decision_changes_nothing() -> None:
    stop = consent("sms", False)
    assert not changes_anything([stop], "sms", None, False)
    assert not changes_anything([stop], "sms", "marketing", False)
    assert changes_anything([stop], "sms", "service", True)
    assert changes_anything([], "sms", "service", True)  # an explicit opt-in is news


@pytest.mark.parametrize("body", ["STOP", " stop ", "Stopp", "abmelden\n", "UNSUBSCRIBE"])
def test_stop_words_opt_out_of_every_purpose(body: str) -> None:
    found = keyword_consent(body)
    assert found is not None and found.granted is False and found.purpose is None


def test_start_opts_back_in_to_service_and_other_texts_are_no_keywords() -> None:
    found = keyword_consent(" Start")
    assert found is not None and found.granted and found.purpose == "service"
    for text in ("Bitte stop", "stop it", "", "STOP!", "starten"):
        assert keyword_consent(text) is None


def inbound(body: str) -> SmsReceived:
    return SmsReceived(
        event_id=uuid4(),
        originator_id=uuid4(),
        occurred_at=NOON,
        provider_message_id="SM" + "1" * 32,
        from_address="+4917690003333",
        to_address="+4930901820",
        address_key="k",
        channel="whatsapp",
        body=body,
    )


def test_the_keyword_event_names_its_channel_source_and_is_the_same_on_redelivery() -> None:
    message = inbound("STOP")
    change = keyword_consent_event(message, CUSTOMER, 5, NOON)
    assert change is not None
    assert (change.channel, change.granted, change.purpose) == ("whatsapp", False, None)
    assert change.source == "whatsapp-keyword STOP" and change.originator_version == 5
    again = keyword_consent_event(message, CUSTOMER, 5, NOON)
    assert again is not None and again.event_id == change.event_id
    assert keyword_consent_event(inbound("Danke"), CUSTOMER, 5, NOON) is None


def test_unsubscribe_links_are_signed_per_customer() -> None:
    secret, other = b"s" * 32, uuid4()
    url = unsubscribe_url("https://hub.example.de/", secret, CUSTOMER)
    assert (
        url == f"https://hub.example.de/unsubscribe/email/{CUSTOMER}/{signature(secret, CUSTOMER)}"
    )
    assert signature_valid(secret, CUSTOMER, signature(secret, CUSTOMER))
    assert not signature_valid(secret, other, signature(secret, CUSTOMER))
    assert not signature_valid(b"t" * 32, CUSTOMER, signature(secret, CUSTOMER))
