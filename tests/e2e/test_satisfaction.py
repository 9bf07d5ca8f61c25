"""Satisfaction surveys end to end, on SQLite and PostgreSQL: a resolved SMS case
gets exactly one survey through the Twilio stand-in (also after the hub restarts,
and after a reopen and a second resolution); the customer's reply "4" is recorded
on the survey, reopens nothing, and is counted in the analytics; an NPS survey to
one customer takes a 0-10 reply; a rebuild of the read models gives the same
figures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import httpx
import pytest

from events import SurveyAnswered, SurveySent, nps_survey_id, survey_id_for_case
from services.infra.auth import Role
from services.infra.settings import Settings
from services.wiring.hub import Hub, now_of
from tests.support.complaints import agent_client, cases_of, customer_id_of, customer_writes
from tests.support.hub import running_hub, settle, wait_until
from tests.support.twilio_standin import TwilioStandIn

PHONE = "+4917612345670"


def fast(settings: Settings) -> Settings:
    return settings.model_copy(update={"survey_delay_seconds": 0.0, "survey_tick_seconds": 0.05})


@pytest.fixture
def hub(settings: Settings, port: int) -> Iterator[Hub]:
    with running_hub(fast(settings), port) as running:
        yield running


def surveys_sent(twilio: TwilioStandIn) -> list[Any]:
    return [m for m in twilio.messages if "Reply 1" in m.params["Body"]]


def resolved_sms_case(api: Any, client: httpx.Client, base_url: str) -> tuple[str, str]:
    customer_writes(client, base_url, 1, PHONE, "Mein Wasserkocher ist defekt")
    customer = customer_id_of(api, PHONE)
    [case] = wait_until(lambda: cases_of(api, customer))
    cid = case["complaint_id"]
    assert case["channel"] == "sms" and case["queue"] == "complaints"
    assert api.post(f"/complaints/{cid}/claim").status_code == 200
    categorised = api.post(
        f"/complaints/{cid}/categorise", json={"category": "defect", "product": "Kessel K1"}
    )
    assert categorised.status_code == 200, categorised.text
    resolved = api.post(f"/complaints/{cid}/resolve", json={"resolution": "Ersatz geschickt"})
    assert resolved.status_code == 200, resolved.text
    return customer, cid


def figures(hub: Hub, base_url: str, **params: str) -> dict[str, Any]:
    with agent_client(hub, base_url, "sup.figures", Role.SUPERVISOR) as supervisor:
        response = supervisor.get("/analytics/satisfaction", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def answered_figures(hub: Hub, base_url: str, kind: str, **params: str) -> dict[str, Any] | None:
    """The figures once they count an answer of `kind` (None before)."""
    found = figures(hub, base_url, **params)
    return found if found[kind]["responses"] else None


def test_a_resolved_sms_case_gets_one_survey_and_the_reply_4_is_counted(
    hub: Hub,
    settings: Settings,
    port: int,
    client: httpx.Client,
    base_url: str,
    api: Any,
    twilio: TwilioStandIn,
) -> None:
    customer, cid = resolved_sms_case(api, client, base_url)
    [survey_sms] = wait_until(lambda: surveys_sent(twilio))
    assert survey_sms.params["To"] == PHONE
    assert "R-" in survey_sms.params["Body"]  # names the case
    survey_id = survey_id_for_case(UUID(cid))
    [sent] = wait_until(lambda: hub.store.stream(survey_id))
    assert isinstance(sent, SurveySent)
    assert (sent.kind, sent.channel, sent.queue, sent.agent, sent.product) == (
        "csat",
        "sms",
        "complaints",
        "agent.test",
        "Kessel K1",
    )
    assert hub.store.stream(sent.interaction_id)[0].sent_by == "hub"  # type: ignore[attr-defined]

    # More rounds, a reopen and a second resolution: still one survey.
    assert hub.surveys.run_due() == 0
    assert api.post(f"/complaints/{cid}/reopen").status_code == 200
    assert api.post(f"/complaints/{cid}/resolve", json={"resolution": "Nochmal"}).status_code == 200
    settle(hub)
    assert hub.surveys.run_due() == 0
    assert hub.surveys.survey_case(UUID(cid)) is not None  # asked directly: reports the first
    assert len(surveys_sent(twilio)) == 1

    # The customer answers "4": recorded on the survey, and the case stays resolved.
    customer_writes(client, base_url, 2, PHONE, " 4 - schnell erledigt")
    answered = wait_until(
        lambda: [e for e in hub.store.stream(survey_id) if isinstance(e, SurveyAnswered)]
    )
    assert (answered[0].score, answered[0].comment, answered[0].channel) == (
        4,
        "schnell erledigt",
        "sms",
    )
    settle(hub)
    assert cases_of(api, customer)[0]["state"] == "resolved"
    # A later "5" is an ordinary message: the first answer stands.
    customer_writes(client, base_url, 3, PHONE, "5")
    settle(hub)
    assert hub.surveys.run_due() == 0
    assert len([e for e in hub.store.stream(survey_id) if isinstance(e, SurveyAnswered)]) == 1

    by_queue = wait_until(lambda: answered_figures(hub, base_url, "csat", by="queue"))
    assert by_queue["csat"] == {"responses": 1, "satisfied": 1, "csat": 100.0}
    [group] = by_queue["groups"]
    assert group["group"] == "complaints" and group["csat"]["responses"] == 1
    assert group["period"] == sent.occurred_at.strftime("%Y-%m")
    by_agent = figures(hub, base_url, by="agent", period="week")
    assert [g["group"] for g in by_agent["groups"]] == ["agent.test"]
    by_product = figures(hub, base_url, by="product")
    assert [g["group"] for g in by_product["groups"]] == ["Kessel K1"]
    by_channel = figures(hub, base_url, by="channel")
    assert [g["group"] for g in by_channel["groups"]] == ["sms"]
    chart = api.get("/reports/satisfaction.svg", params={"by": "queue"})
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/svg+xml"
    assert "complaints" in chart.text and "<svg" in chart.text
    assert api.get("/analytics/satisfaction", params={"by": "weather"}).status_code == 422

    # A rebuild of the read models gives the same figures.
    before = figures(hub, base_url, by="queue")
    checksum = hub.views.satisfaction.checksum()
    hub.surveys.stop()
    hub.projector.stop()
    hub.projector.rebuild()
    assert hub.views.satisfaction.checksum() == checksum
    assert figures(hub, base_url, by="queue") == before


def test_a_restarted_hub_sends_no_second_survey(
    settings: Settings, port: int, client: httpx.Client, twilio: TwilioStandIn
) -> None:
    base_url = f"http://127.0.0.1:{port}"
    with running_hub(fast(settings), port) as first:
        token = first.tokens.create(Role.AGENT, "agent.test")
        with httpx.Client(
            base_url=base_url + "/api/v1", headers={"Authorization": f"Bearer {token}"}
        ) as api:
            _, cid = resolved_sms_case(api, client, base_url)
            wait_until(lambda: first.store.stream(survey_id_for_case(UUID(cid))))
    assert len(surveys_sent(twilio)) == 1
    with running_hub(fast(settings), port) as second:
        settle(second)
        assert second.surveys.run_due() == 0
        assert second.views.satisfaction.due_cases(now_of(second)) == []
    assert len(surveys_sent(twilio)) == 1


def test_an_nps_survey_to_one_customer_takes_a_0_to_10_reply(
    hub: Hub, client: httpx.Client, base_url: str, api: Any, twilio: TwilioStandIn
) -> None:
    customer_writes(client, base_url, 7, PHONE, "Hallo")
    customer = customer_id_of(api, PHONE)
    body = {"kind": "nps", "channel": "sms", "campaign_id": "nps-2026-q4"}
    sent = api.post(f"/customers/{customer}/surveys", json=body)
    assert sent.status_code == 201, sent.text
    assert sent.json()["status"] == "sent"
    again = api.post(f"/customers/{customer}/surveys", json=body)
    assert again.json() == {**sent.json(), "status": "already"}
    [question] = [m for m in twilio.messages if "Reply 0" in m.params["Body"]]
    assert question.params["To"] == PHONE
    assert (
        api.post(
            f"/customers/{customer}/surveys", json={"kind": "csat", "channel": "sms"}
        ).status_code
        == 422
    )
    unknown = api.post("/customers/00000000-0000-0000-0000-000000000001/surveys", json=body)
    assert unknown.status_code == 404

    customer_writes(client, base_url, 8, PHONE, "9")
    survey_id = UUID(sent.json()["survey_id"])
    [answer] = wait_until(
        lambda: [e for e in hub.store.stream(survey_id) if isinstance(e, SurveyAnswered)]
    )
    assert (answer.kind, answer.score) == ("nps", 9)
    nps = wait_until(lambda: answered_figures(hub, base_url, "nps", by="channel"))["nps"]
    assert nps == {"responses": 1, "promoters": 1, "passives": 0, "detractors": 0, "nps": 100.0}

    # Opted out of SMS: the next campaign's survey is refused and records nothing.
    opt_out = api.put(f"/customers/{customer}/consent", json={"channels": {"sms": False}})
    assert opt_out.status_code == 200, opt_out.text
    refused = api.post(
        f"/customers/{customer}/surveys", json={**body, "campaign_id": "nps-2027-q1"}
    )
    assert refused.status_code == 409 and "opted out" in refused.json()["detail"]
    assert hub.store.stream(nps_survey_id(UUID(customer), "campaign/nps-2027-q1")) == []
    assert len([m for m in twilio.messages if "Reply 0" in m.params["Body"]]) == 1
