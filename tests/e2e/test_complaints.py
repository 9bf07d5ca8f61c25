"""Complaint cases over HTTP on SQLite and PostgreSQL: auto-opening from messages,
follow-ups, the lifecycle with its refusals, claims that race, canned replies."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

import httpx

from services.app.complaints.intake import ComplaintIntake
from services.wiring.hub import Hub
from tests.support.complaints import agent_client, cases_of, customer_id_of, customer_writes
from tests.support.hub import wait_until
from tests.support.twilio_standin import TwilioStandIn

PHONE = "+4917612345678"


def test_a_complaint_by_sms_opens_a_case_and_the_follow_up_joins_it(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    first = customer_writes(client, base_url, 1, PHONE, "Ich möchte das defekte Gerät reklamieren")
    customer = customer_id_of(api, PHONE)
    [case] = wait_until(lambda: cases_of(api, customer))
    assert case["queue"] == "complaints" and case["category"] == "defect"
    assert case["state"] == "new" and case["channel"] == "sms" and case["language"] == "de"
    assert case["opened_by"] == "rules"
    assert case["case_number"].startswith("R-") and len(case["case_number"]) == 13

    # A follow-up without any keyword joins the open case; no second case.
    follow_up = customer_writes(client, base_url, 2, PHONE, "Hier noch die Seriennummer: 4711")
    detail = wait_until(
        lambda: (
            (d := api.get(f"/complaints/{case['complaint_id']}").json())["interactions"][1:] and d
        )
    )
    assert [i["role"] for i in detail["interactions"]] == ["opened", "customer"]
    assert detail["subject"] == "Ich möchte das defekte Gerät reklamieren"
    timeline = api.get(f"/customers/{customer}/timeline").json()["items"]
    by_sid = {t["provider_id"]: t["interaction_id"] for t in timeline}
    assert [i["interaction_id"] for i in detail["interactions"]] == [
        by_sid[first["MessageSid"]],
        by_sid[follow_up["MessageSid"]],
    ]
    # A redelivered webhook records nothing, in the case or elsewhere.
    before = hub.store.max_notification_id()
    customer_writes(client, base_url, 2, PHONE, "Hier noch die Seriennummer: 4711")
    hub.complaints.intake.catch_up()
    assert hub.store.max_notification_id() == before
    assert len(cases_of(api, customer)) == 1

    # The intake loses its position and index (as if it crashed before saving them)
    # and decides everything again: nothing new is recorded, no case opened twice.
    hub.complaints.intake.stop()
    hub.views.complaint_index.drop()
    restarted = ComplaintIntake(
        hub.store,
        hub.complaints.desk,
        hub.views.complaint_index,
        hub.complaints.config,
        clock=hub.complaints.desk.clock,
    )
    assert restarted.catch_up() == before
    assert hub.store.max_notification_id() == before
    assert len(hub.views.complaint_index.cases_of(UUID(customer))) == 1

    # The case number finds the customer.
    found = api.get("/customers", params={"q": case["case_number"]}).json()["items"]
    assert [c["customer_id"] for c in found] == [customer]


def test_refund_request_goes_to_the_refund_queue_and_plain_messages_open_nothing(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    customer_writes(client, base_url, 3, "+4915112345678", "Wo bleibt meine Bestellung?")
    customer_writes(client, base_url, 4, "+4915212345678", "I would like a refund, please")
    refund_customer = customer_id_of(api, "+4915212345678")
    [case] = wait_until(lambda: cases_of(api, refund_customer))
    assert case["queue"] == "refunds" and case["language"] == "en"
    hub.complaints.intake.catch_up()
    assert cases_of(api, customer_id_of(api, "+4915112345678")) == []


def test_lifecycle_over_http_with_409_for_illegal_transitions(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    customer_writes(client, base_url, 5, PHONE, "Hallo")
    customer = customer_id_of(api, PHONE)
    opened = api.post(
        "/complaints",
        json={
            "customer_id": customer,
            "queue": "billing",
            "priority": "high",
            "subject": "Rechnung",
        },
    )
    assert opened.status_code == 201, opened.text
    case = opened.json()
    cid = case["complaint_id"]
    assert case["opened_by"] == "agent.test" and case["priority"] == "high"

    assert api.post(f"/complaints/{cid}/reopen").status_code == 409
    refused = api.post(f"/complaints/{cid}/close")
    assert refused.status_code == 409 and "must be resolved" in refused.json()["detail"]

    claimed = api.post(f"/complaints/{cid}/claim").json()
    assert claimed["state"] == "assigned" and claimed["assignee"] == "agent.test"
    categorised = api.post(
        f"/complaints/{cid}/categorise", json={"category": "invoice", "product": "Tarif M"}
    ).json()
    assert (categorised["category"], categorised["product"]) == ("invoice", "Tarif M")
    escalated = api.post(f"/complaints/{cid}/escalate", json={"reason": "Kulanz"}).json()
    assert escalated["queue"] == "escalations" and escalated["state"] == "new"
    assert api.post(f"/complaints/{cid}/escalate").status_code == 409  # already there
    resolved = api.post(f"/complaints/{cid}/resolve", json={"resolution": "Gutschrift"})
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"
    again = api.post(f"/complaints/{cid}/resolve")
    assert again.status_code == 409 and "already resolved" in again.json()["detail"]
    assert api.post(f"/complaints/{cid}/claim").status_code == 409
    assert api.post(f"/complaints/{cid}/reopen").json()["state"] == "new"
    assert api.post(f"/complaints/{cid}/resolve").status_code == 200
    assert api.post(f"/complaints/{cid}/close").json()["state"] == "closed"
    final = api.post(f"/complaints/{cid}/reopen")
    assert final.status_code == 409 and "closed" in final.json()["detail"]

    assert api.post("/complaints/00000000-0000-0000-0000-000000000000/claim").status_code == 404
    assert api.post("/complaints", json={"customer_id": cid}).status_code == 404
    bad = api.post("/complaints", json={"customer_id": customer, "priority": "asap"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "priority"]
    # Only supervisors assign.
    assert api.post(f"/complaints/{cid}/assign", json={"assignee": "x"}).status_code == 403


def test_a_customer_reply_to_a_resolved_case_reopens_it(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    customer_writes(client, base_url, 6, PHONE, "Mein Wasserkocher ist kaputt")
    customer = customer_id_of(api, PHONE)
    [case] = wait_until(lambda: cases_of(api, customer))
    assert api.post(f"/complaints/{case['complaint_id']}/resolve").status_code == 200
    customer_writes(client, base_url, 7, PHONE, "Leider geht er immer noch nicht")
    reopened = wait_until(lambda: (c := cases_of(api, customer))[0]["state"] == "new" and c[0])
    assert reopened["complaint_id"] == case["complaint_id"] and reopened["reopens"] == 1


def test_two_concurrent_claims_on_one_case_exactly_one_wins(
    hub: Hub, base_url: str, api: Any, client: httpx.Client
) -> None:
    customer_writes(client, base_url, 8, PHONE, "Hallo")
    customer = customer_id_of(api, PHONE)
    agents = [agent_client(hub, base_url, f"agent-{n}") for n in range(4)]
    try:
        for round_ in range(3):
            cid = api.post("/complaints", json={"customer_id": customer}).json()["complaint_id"]
            barrier = threading.Barrier(len(agents))

            def claim(
                agent: httpx.Client, cid: str = cid, barrier: threading.Barrier = barrier
            ) -> httpx.Response:
                barrier.wait()
                return agent.post(f"/complaints/{cid}/claim")

            with ThreadPoolExecutor(len(agents)) as pool:
                answers = list(pool.map(claim, agents))
            codes = sorted(r.status_code for r in answers)
            assert codes == [200, 409, 409, 409], (round_, [r.text for r in answers])
            winner = next(r.json()["assignee"] for r in answers if r.status_code == 200)
            assert all(
                f"already claimed by {winner}" in r.json()["detail"]
                for r in answers
                if r.status_code == 409
            )
            claims = [e for e in hub.store.stream(UUID(cid)) if e.type == "ComplaintClaimed"]
            assert len(claims) == 1
    finally:
        for agent in agents:
            agent.close()


def test_claim_next_gives_concurrent_agents_different_cases_in_priority_order(
    hub: Hub, base_url: str, api: Any, client: httpx.Client
) -> None:
    customer_writes(client, base_url, 9, PHONE, "Hallo")
    customer = customer_id_of(api, PHONE)
    ids = [
        api.post(
            "/complaints", json={"customer_id": customer, "queue": "team-a", "priority": p}
        ).json()["complaint_id"]
        for p in ("normal", "urgent", "normal", "low")
    ]
    agents = [agent_client(hub, base_url, f"agent-{n}") for n in range(3)]
    try:
        barrier = threading.Barrier(len(agents))

        def claim_next(agent: httpx.Client) -> httpx.Response:
            barrier.wait()
            return agent.post("/queues/team-a/claim-next")

        with ThreadPoolExecutor(len(agents)) as pool:
            answers = list(pool.map(claim_next, agents))
        assert [r.status_code for r in answers] == [200, 200, 200], [r.text for r in answers]
        # The urgent one and the two normal ones, oldest first; each to one agent.
        assert sorted(r.json()["complaint_id"] for r in answers) == sorted(ids[:3])
        assert len({r.json()["assignee"] for r in answers}) == 3
        last = api.post("/queues/team-a/claim-next")
        assert last.status_code == 200 and last.json()["complaint_id"] == ids[3]
        empty = api.post("/queues/team-a/claim-next")
        assert empty.status_code == 404 and "no unclaimed case" in empty.json()["detail"]
        queue = api.get("/complaints", params={"queue": "team-a"}).json()["items"]
        assert [c["priority"] for c in queue] == ["urgent", "normal", "normal", "low"]
        mine = api.get("/complaints", params={"assignee": "agent.test"}).json()["items"]
        assert [c["complaint_id"] for c in mine] == [ids[3]]
    finally:
        for agent in agents:
            agent.close()


def test_canned_responses_render_per_language_and_a_reply_ends_first_response(
    hub: Hub, base_url: str, api: Any, client: httpx.Client, twilio: TwilioStandIn
) -> None:
    customer_writes(client, base_url, 10, PHONE, "My toaster is broken, I want to complain")
    customer = customer_id_of(api, PHONE)
    [case] = wait_until(lambda: cases_of(api, customer))
    cid = case["complaint_id"]

    listing = api.get("/canned-responses", params={"language": "de"}).json()
    keys = {t["key"] for t in listing["items"]}
    assert {"acknowledgement", "need_details", "resolved"} <= keys
    assert "case_number" in listing["placeholders"]
    rendered = api.post(
        "/canned-responses/acknowledgement/render", json={"complaint_id": cid}
    ).json()
    assert rendered["language"] == "en"  # the case's language
    assert case["case_number"] in rendered["text"] and "agent.test" in rendered["text"]
    german = api.post(
        "/canned-responses/acknowledgement/render", json={"complaint_id": cid, "language": "de"}
    ).json()
    assert german["language"] == "de" and "Reklamation" in german["text"]
    assert api.post("/canned-responses/nope/render", json={}).status_code == 404

    sent = api.post(
        f"/complaints/{cid}/reply", json={"template": "need_details", "await_customer": True}
    )
    assert sent.status_code == 200, sent.text
    reply = sent.json()
    assert reply["complaint"]["state"] == "waiting"
    assert reply["complaint"]["first_response_at"] is not None
    assert reply["complaint"]["sla"]["state"] == "paused"
    [message] = twilio.messages
    assert case["case_number"] in message.params["Body"]
    assert api.post(f"/complaints/{cid}/reply", json={}).status_code == 422

    # The customer's answer ends the wait.
    customer_writes(client, base_url, 11, PHONE, "Photo attached")
    wait_until(lambda: api.get(f"/complaints/{cid}").json()["state"] == "new")
