"""Campaigns end to end: a campaign to a segment reaches exactly the members who
opted in to marketing, through the Twilio stand-in and a real SMTP relay; the
replies, opt-outs and orders of recipients within the window are attributed to
it (and nobody else's); the report counts them, also after a replay; bad
definitions are 422, a second start 409; a restart mid-campaign sends nobody
a second message."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from xml.etree import ElementTree as ET

import anyio
import httpx
import pytest

from events import CampaignSendRecorded, campaign_send_id
from services.app.campaigns.sender import RenderedMessage
from services.infra.auth import Role
from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.complaints import SettableClock
from tests.support.email_fixtures import mail, relay, settings_fixture, smtp_port, smtp_send
from tests.support.hub import (
    inbound_sms_form,
    post_signed,
    running_hub,
    settle,
    wait_until,
)
from tests.support.smtp_relay import SmtpRelay
from tests.support.twilio_standin import TwilioStandIn, message_status_params

__all__ = ["relay", "smtp_port"]  # fixtures used by this module

SVG = "{http://www.w3.org/2000/svg}"
# Opted in to marketing SMS: A, B, C; D never opted in.
PHONES = {"A": "+4917690001001", "B": "+4917690001002", "C": "+4917690001003"}
PHONES["D"] = "+4917690001004"
EMAILS = {"E": "Erika Muster <erika@example.de>", "F": "Fritz Kunde <fritz@example.de>"}


# The email hub's settings, without quiet hours (campaigns send at any hour
# here) and with a fast campaign tick.
settings = settings_fixture(quiet_hours="", campaign_tick_seconds=0.05)


@pytest.fixture
def supervisor(hub: Hub, base_url: str) -> Iterator[httpx.Client]:
    token = hub.tokens.create(Role.SUPERVISOR, "supervisor.test")
    with httpx.Client(
        base_url=base_url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ) as c:
        yield c


def sms_customer(client: httpx.Client, base_url: str, api: Any, n: int, phone: str) -> str:
    answer = post_signed(
        client, base_url, "/webhooks/twilio/sms", inbound_sms_form(n, phone, "Hallo")
    )
    assert answer.status_code == 200, answer.text
    found = wait_until(lambda: api.get("/customers", params={"q": phone}).json()["items"])
    return str(found[0]["customer_id"])


def text_in(client: httpx.Client, base_url: str, n: int, phone: str, body: str) -> None:
    answer = post_signed(client, base_url, "/webhooks/twilio/sms", inbound_sms_form(n, phone, body))
    assert answer.status_code == 200, answer.text


def opt_in(api: Any, customer_id: str, channel: str) -> None:
    answer = api.put(
        f"/customers/{customer_id}/consent",
        json={"channels": {channel: True}, "purpose": "marketing"},
    )
    assert answer.status_code == 200, answer.text


def order(api: Any, order_id: str, customer_id: str, at: datetime) -> None:
    answer = api.post(
        "/orders",
        json={
            "order_id": order_id,
            "customer": {"customer_id": customer_id},
            "ordered_at": at.isoformat(),
            "currency": "EUR",
            "lines": [{"sku": "COF-01", "name": "Espresso", "quantity": 1, "unit_price": "9.90"}],
        },
    )
    assert answer.status_code in (200, 201), answer.text


def segment(supervisor: httpx.Client, name: str, channel: str, members: int) -> str:
    flt = {"field": "channels", "op": "contains", "value": channel}
    answer = supervisor.post("/segments", json={"name": name, "filter": flt})
    assert answer.status_code == 201, answer.text
    segment_id = str(answer.json()["segment_id"])
    wait_until(
        lambda: supervisor.get(f"/segments/{segment_id}/members").json()["members"] == members
    )
    return segment_id


def finished(api: Any, campaign_id: str) -> dict[str, Any]:
    return wait_until(
        lambda: (c := api.get(f"/campaigns/{campaign_id}").json())["status"] == "finished" and c,
        timeout=20,
    )


def report(api: Any, campaign_id: str) -> dict[str, Any]:
    answer = api.get(f"/campaigns/{campaign_id}/report")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_a_campaign_reaches_the_consenting_members_and_counts_what_they_did(
    hub: Hub,
    client: httpx.Client,
    base_url: str,
    api: Any,
    supervisor: httpx.Client,
    twilio: TwilioStandIn,
    relay: SmtpRelay,
    smtp_port: int,
) -> None:
    ids = {k: sms_customer(client, base_url, api, n, p) for n, (k, p) in enumerate(PHONES.items())}
    for key, sender in EMAILS.items():
        assert smtp_send(smtp_port, mail(sender, "Frage", "Haben Sie Tee?")) == {}
        address = sender.split("<")[1].rstrip(">")
        found = wait_until(lambda a=address: api.get("/customers", params={"q": a}).json()["items"])
        ids[key] = str(found[0]["customer_id"])
    for key in ("A", "B", "C"):
        opt_in(api, ids[key], "sms")
    opt_in(api, ids["E"], "email")
    texts = segment(supervisor, "texters", "sms", 4)
    mailers = segment(supervisor, "mailers", "email", 2)

    # Bad definitions change nothing; agents may read, not define.
    mark = settle(hub)
    body = {"name": "Herbst", "segment_id": texts, "channel": "sms", "body": "Hallo {first_name}!"}
    wrong = supervisor.post("/campaigns", json={**body, "body": "Hallo {vorname}!"})
    assert wrong.status_code == 422 and "{vorname}" in wrong.json()["detail"]
    unknown = supervisor.post(
        "/campaigns", json={**body, "segment_id": "00000000-0000-4000-8000-000000000000"}
    )
    assert unknown.status_code == 422 and "no segment" in unknown.json()["detail"]
    no_subject = supervisor.post("/campaigns", json={**body, "channel": "email"})
    assert no_subject.status_code == 422
    assert api.post("/campaigns", json=body).status_code == 403
    assert hub.store.max_notification_id() == mark

    created = supervisor.post(
        "/campaigns",
        json={**body, "body": "Hallo {first_name}, neue Sorten sind da!", "kind": "product_info"},
    )
    assert created.status_code == 201, created.text
    sms_campaign = created.json()["campaign_id"]
    assert created.json()["status"] == "draft"
    assert api.get("/campaigns").json()["items"][0]["campaign_id"] == sms_campaign
    assert api.post(f"/campaigns/{sms_campaign}/start").status_code == 403
    started = supervisor.post(f"/campaigns/{sms_campaign}/start")
    assert started.status_code == 200, started.text
    assert started.json()["members"] == 4
    assert supervisor.post(f"/campaigns/{sms_campaign}/start").status_code == 409
    finished(api, sms_campaign)

    # Exactly the consenting members, once each, the template filled.
    sent = twilio.messages
    assert sorted(m.params["To"] for m in sent) == sorted(PHONES[k] for k in "ABC")
    assert {m.params["Body"] for m in sent} == {"Hallo , neue Sorten sind da!"}

    email_campaign = supervisor.post(
        "/campaigns",
        json={
            "name": "Teebrief",
            "segment_id": mailers,
            "channel": "email",
            "kind": "newsletter",
            "subject": "Neu für {first_name}",
            "body": "Liebe(r) {name},\n\nunser Tee des Monats.",
            "attribution_window_days": 3,
        },
    ).json()["campaign_id"]
    assert supervisor.post(f"/campaigns/{email_campaign}/start").status_code == 200
    finished(api, email_campaign)
    [newsletter] = relay.received
    assert newsletter.rcpt_tos == ["erika@example.de"]
    assert newsletter.message["Subject"] == "Neu für Erika"
    plain = newsletter.message.get_body(("plain",))
    assert plain is not None and "Liebe(r) Erika Muster," in plain.get_content()

    # What recipients (and one who got nothing) did afterwards.
    now = datetime.now(UTC)
    text_in(client, base_url, 50, PHONES["A"], "Gerne, was kostet das?")
    text_in(client, base_url, 51, PHONES["A"], "Und der Versand?")
    text_in(client, base_url, 52, PHONES["B"], "STOP")
    text_in(client, base_url, 53, PHONES["D"], "Was ist neu?")  # no recipient
    order(api, "CMP-1", ids["A"], now + timedelta(minutes=1))
    order(api, "CMP-2", ids["A"], now + timedelta(minutes=2))
    order(api, "CMP-3", ids["C"], now + timedelta(minutes=3))
    order(api, "CMP-4", ids["D"], now + timedelta(minutes=4))  # no recipient
    order(api, "CMP-0", ids["C"], now - timedelta(days=2))  # before the campaign
    delivered = next(m for m in sent if m.params["To"] == PHONES["C"])
    callback = delivered.params["StatusCallback"]
    assert twilio.send_status_callback(
        callback, message_status_params(delivered, "delivered")
    ).is_success
    link = str(newsletter.message["List-Unsubscribe"]).strip("<>")
    one_click = client.post(
        link,
        content="List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200, one_click.text
    settle(hub)

    def check() -> dict[str, Any]:
        by_sms = report(api, sms_campaign)
        expected = {"members": 4, "reach": 3, "sent": 3, "refused": 1, "failed": 0}
        expected |= {"pending": 0, "delivered": 1, "replies": 1, "opt_outs": 1, "orders": 2}
        assert {k: by_sms[k] for k in expected} == expected
        assert by_sms["conversion_rate"] == round(2 / 3, 6)
        by_mail = report(api, email_campaign)
        expected = {"members": 2, "sent": 1, "refused": 1, "replies": 0, "opt_outs": 1}
        assert {k: by_mail[k] for k in expected} == {**expected}
        assert by_mail["orders"] == 0
        csv = api.get(f"/campaigns/{sms_campaign}/report", params={"format": "csv"})
        assert csv.headers["content-type"].startswith("text/csv")
        rows = dict(line.split(",")[:2] for line in csv.text.splitlines()[1:])
        assert rows["orders"] == "2" and rows["members"] == "4"
        chart = api.get(f"/reports/campaigns/{sms_campaign}.svg")
        assert chart.headers["content-type"].startswith("image/svg+xml")
        root = ET.fromstring(chart.text)
        assert root.tag == SVG + "svg"
        bars = {
            r.attrib["data-label"]: r.attrib["data-value"]
            for r in root.iter(SVG + "rect")
            if "data-series" in r.attrib
        }
        assert bars["sent"] == "3" and bars["replies"] == "1"
        return {"sms": by_sms, "mail": by_mail, "campaign": api.get("/campaigns").json()}

    before = check()
    # The refused member's reason is on their send.
    [refusal] = [
        e
        for e in hub.store.stream(campaign_send_id(UUID(sms_campaign), UUID(ids["D"])))
        if isinstance(e, CampaignSendRecorded)
    ]
    assert refusal.outcome == "refused" and "marketing" in refusal.reason
    assert api.get("/campaigns/00000000-0000-4000-8000-000000000000").status_code == 404
    # As `contacthub replay` does, with nothing else projecting meanwhile.
    hub.campaign_sender.stop()
    hub.projector.stop()
    hub.projector.rebuild()
    assert check() == before


NOW = datetime(2026, 6, 10, 10, 0, tzinfo=UTC)


def test_a_restart_mid_campaign_sends_nobody_a_second_message(
    settings: Settings, port: int, twilio: TwilioStandIn, client: httpx.Client
) -> None:
    clock = SettableClock(NOW)
    base_url = f"http://127.0.0.1:{port}"
    with running_hub(settings, port, clock=clock) as hub:
        token = hub.tokens.create(Role.SUPERVISOR, "supervisor.test")
        with httpx.Client(
            base_url=base_url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=10
        ) as api:
            ids = [sms_customer(client, base_url, api, n, p) for n, p in enumerate(PHONES.values())]
            for customer_id in ids:
                opt_in(api, customer_id, "sms")
            texts = segment(api, "texters", "sms", 4)
            campaign = api.post(
                "/campaigns",
                json={
                    "name": "Langsam",
                    "segment_id": texts,
                    "channel": "sms",
                    "body": "Neu im Sortiment",
                    "throttle_per_minute": 2,
                },
            ).json()["campaign_id"]
            assert api.post(f"/campaigns/{campaign}/start").status_code == 200
            # The throttle lets two through in this minute (the clock stands still).
            wait_until(lambda: api.get(f"/campaigns/{campaign}/report").json()["sent"] == 2)
            assert hub.campaign_sender.run_due() == 0
            assert len(twilio.messages) == 2
            hub.campaign_sender.stop()
            # A crash after the provider took the third message, before its record.
            members = [UUID(c) for c in sorted(ids)]
            unsent = [
                c for c in members if not hub.store.exists(campaign_send_id(UUID(campaign), c))
            ]
            third = unsent[0]
            anyio.run(
                lambda: hub.campaign_messages.send_rendered(
                    "sms",
                    third,
                    RenderedMessage("", "Neu im Sortiment"),
                    idempotency_key=f"campaign/{campaign}",
                )
            )
            assert len(twilio.messages) == 3
    clock.advance(timedelta(minutes=1, seconds=1))
    with running_hub(settings, port, clock=clock) as hub:
        token = hub.tokens.create(Role.AGENT, "agent.test")
        with httpx.Client(
            base_url=base_url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=10
        ) as api:
            finished(api, campaign)
            figures = api.get(f"/campaigns/{campaign}/report").json()
            assert (figures["sent"], figures["members"], figures["pending"]) == (4, 4, 0)
    phones = [m.params["To"] for m in twilio.messages]
    assert sorted(phones) == sorted(PHONES.values())  # each member once, the third included


def test_a_send_the_provider_refuses_is_recorded_as_failed_with_its_error(
    hub: Hub,
    client: httpx.Client,
    base_url: str,
    api: Any,
    supervisor: httpx.Client,
    twilio: TwilioStandIn,
) -> None:
    customer_id = sms_customer(client, base_url, api, 1, PHONES["A"])
    opt_in(api, customer_id, "sms")
    texts = segment(supervisor, "texters", "sms", 1)
    campaign = supervisor.post(
        "/campaigns",
        json={"name": "Pech", "segment_id": texts, "channel": "sms", "body": "Neu"},
    ).json()["campaign_id"]
    twilio.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")
    assert supervisor.post(f"/campaigns/{campaign}/start").status_code == 200
    finished(api, campaign)
    figures = report(api, campaign)
    assert (figures["sent"], figures["failed"], figures["reach"]) == (0, 1, 0)
    [send] = [
        e
        for e in hub.store.stream(campaign_send_id(UUID(campaign), UUID(customer_id)))
        if isinstance(e, CampaignSendRecorded)
    ]
    assert send.outcome == "failed" and "unsubscribed recipient" in send.reason, send.reason
    assert twilio.messages == []


def test_an_nps_campaign_surveys_the_consenting_members_and_their_scores_count(
    hub: Hub,
    client: httpx.Client,
    base_url: str,
    api: Any,
    supervisor: httpx.Client,
    twilio: TwilioStandIn,
) -> None:
    consenting = sms_customer(client, base_url, api, 1, PHONES["A"])
    sms_customer(client, base_url, api, 2, PHONES["B"])  # no marketing consent
    opt_in(api, consenting, "sms")
    texts = segment(supervisor, "nps texters", "sms", 2)
    campaign = supervisor.post(
        "/campaigns",
        json={
            "name": "NPS Q4",
            "segment_id": texts,
            "channel": "sms",
            "kind": "nps",
            "body": "(the hub's NPS question goes out)",
        },
    )
    assert campaign.status_code == 201, campaign.text
    campaign_id = campaign.json()["campaign_id"]
    assert supervisor.post(f"/campaigns/{campaign_id}/start").status_code == 200
    finished(api, campaign_id)

    # Exactly the consenting member got the survey, with its 0-10 question.
    [survey] = twilio.messages
    assert survey.params["To"] == PHONES["A"]
    assert "10" in survey.params["Body"]
    figures = report(api, campaign_id)
    assert (figures["sent"], figures["refused"]) == (1, 1)

    text_in(client, base_url, 3, PHONES["A"], "9")
    settle(hub)
    hub.surveys.run_due()  # the survey follower's round that records SMS answers
    settle(hub)

    def nps_counted() -> dict[str, Any] | None:
        found = supervisor.get("/analytics/satisfaction", params={"by": "channel"}).json()
        return dict(found) if found["nps"]["responses"] else None

    nps = wait_until(nps_counted)["nps"]
    assert nps["responses"] == 1 and nps["nps"] == 100.0
