"""Partner access over HTTP on SQLite and PostgreSQL: a partner token sees and
changes only what is shared with its organisation (404 for other cases, 403 for
other routes, everything in the access log); partner webhooks are signed,
delivered in order to an endpoint that was down once it is up, and go to the
dead letters after their attempts, from where an admin replays them."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from domain.webhook_signature import verify
from events import ComplaintResolved
from services.infra.auth import Role, TokenRefused
from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.cli import CLI, cli_env, last_line, run_cli
from tests.support.complaints import agent_client, customer_id_of, customer_writes
from tests.support.hub import wait_until
from tests.support.partner_receiver import PartnerReceiver, Received
from tests.support.ports import free_port

PHONE = "+4917612340001"
SITE = "Werkstatt Nord, Hamburg"


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """Retries in tens of milliseconds; the attempts before a dead letter as the
    test asks (indirect parameter), else many."""
    return settings.model_copy(
        update={
            "partner_webhook_max_attempts": getattr(request, "param", 1000),
            "partner_webhook_backoff_seconds": 0.02,
            "partner_webhook_backoff_max_seconds": 0.2,
        }
    )


@pytest.fixture
def admin(hub: Hub, base_url: str) -> Iterator[httpx.Client]:
    with agent_client(hub, base_url, "root", Role.ADMIN) as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[PartnerReceiver]:
    endpoint = PartnerReceiver(free_port())
    try:
        yield endpoint
    finally:
        endpoint.stop()


def partner_client(hub: Hub, base_url: str, name: str, org: str) -> httpx.Client:
    token = hub.tokens.create(Role.PARTNER, name, partner=org)
    return httpx.Client(
        base_url=base_url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def open_case(api: Any, customer_id: str, subject: str) -> str:
    response = api.post("/complaints", json={"customer_id": customer_id, "subject": subject})
    assert response.status_code == 201, response.text
    return str(response.json()["complaint_id"])


def a_customer(client: httpx.Client, base_url: str, api: Any) -> str:
    customer_writes(client, base_url, 1, PHONE, "Guten Tag, eine Frage zur Lieferung")
    return customer_id_of(api, PHONE)


def appointment(api: Any, customer_id: str, location: str) -> str:
    response = api.post(
        "/appointments",
        json={
            "customer_id": customer_id,
            "agent": "anna",
            "starts_at": "2026-06-11T14:00:00+02:00",
            "ends_at": "2026-06-11T15:00:00+02:00",
            "kind": "visit",
            "location": location,
            "reminder": "none",
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["appointment_id"])


def test_a_partner_token_sees_and_changes_only_what_is_shared_with_it(
    hub: Hub, client: httpx.Client, base_url: str, api: Any, admin: httpx.Client
) -> None:
    assert admin.post("/partners", json={"name": "repairs", "sites": [SITE]}).status_code == 201
    assert admin.post("/partners", json={"name": "dealer"}).status_code == 201
    assert admin.post("/partners", json={"name": "dealer"}).status_code == 409
    customer = a_customer(client, base_url, api)
    shared = open_case(api, customer, "Gerät defekt, Reparatur nötig")
    other = open_case(api, customer, "Rechnung falsch")
    response = api.post(f"/complaints/{shared}/share", json={"partner": "repairs"})
    assert response.status_code == 200, response.text
    assert response.json()["partners"] == ["repairs"]
    # Sharing twice records nothing; an unknown partner is refused.
    before = hub.store.max_notification_id()
    assert api.post(f"/complaints/{shared}/share", json={"partner": "repairs"}).status_code == 200
    assert hub.store.max_notification_id() == before
    assert api.post(f"/complaints/{other}/share", json={"partner": "nobody"}).status_code == 404
    at_site = appointment(api, customer, SITE)
    elsewhere = appointment(api, customer, "Filiale Süd, München")

    with (
        partner_client(hub, base_url, "repairs.bot", "repairs") as partner,
        partner_client(hub, base_url, "dealer.bot", "dealer") as dealer,
    ):
        # Its list holds only its cases, whatever the filter asks for.
        listed = partner.get("/complaints", params={"state": "all"}).json()["items"]
        assert [c["complaint_id"] for c in listed] == [shared]
        everyone = {"state": "all", "customer_id": customer}
        assert [
            c["complaint_id"] for c in partner.get("/complaints", params=everyone).json()["items"]
        ] == [shared]
        assert dealer.get("/complaints", params={"state": "all"}).json()["items"] == []
        assert partner.get(f"/complaints/{shared}").status_code == 200

        # Another case is answered exactly as one that does not exist.
        unknown = str(uuid4())
        for case in (other, unknown):
            for method, path in (("GET", ""), ("POST", "/resolve")):
                response = partner.request(method, f"/complaints/{case}{path}", json={})
                assert response.status_code == 404, (method, path, response.text)
                assert response.json() == {"detail": f"no complaint {case}"}
        assert dealer.get(f"/complaints/{shared}").status_code == 404

        # Every other route is refused, reads and commands alike.
        refused = [
            ("GET", "/customers", {"q": PHONE}),
            ("GET", f"/customers/{customer}", None),
            ("GET", f"/customers/{customer}/timeline", None),
            ("GET", "/analytics/abc", None),
            ("GET", "/queues", None),
            ("GET", "/users", None),
            ("GET", "/partners", None),
            ("GET", "/audit/access", None),
            ("GET", "/stream", None),
            ("POST", f"/complaints/{shared}/claim", None),
            ("POST", f"/complaints/{shared}/share", {"partner": "repairs"}),
            ("POST", "/complaints", {"customer_id": customer}),
            ("POST", f"/customers/{customer}/messages", {"channel": "sms", "text": "hi"}),
        ]
        for method, path, data in refused:
            response = partner.request(
                method, path, **({"params": data} if method == "GET" else {"json": data})
            )
            assert response.status_code == 403, (method, path, response.text)

        # Its appointments are those at its sites.
        mine = partner.get("/appointments").json()
        assert [a["appointment_id"] for a in mine] == [at_site]
        assert partner.get(f"/appointments/{at_site}").status_code == 200
        assert partner.get(f"/appointments/{elsewhere}").status_code == 404
        assert dealer.get("/appointments").json() == []

        # It resolves its case; the history names the partner's token.
        response = partner.post(f"/complaints/{shared}/resolve", json={"resolution": "repariert"})
        assert response.status_code == 200, response.text
        assert response.json()["state"] == "resolved"
        [resolved] = [e for e in hub.store.stream(UUID(shared)) if isinstance(e, ComplaintResolved)]
        assert resolved.by == "repairs.bot" and resolved.resolution == "repariert"

        # Withdrawn, the case is gone for the partner.
        assert api.post(f"/complaints/{shared}/unshare", json={"partner": "repairs"}).json() == {
            "complaint_id": shared,
            "partners": [],
        }
        assert partner.get(f"/complaints/{shared}").status_code == 404
        assert partner.get("/complaints", params={"state": "all"}).json()["items"] == []

    # Everything the partner did, let through or refused, is in the access log.
    with agent_client(hub, base_url, "ida", Role.AUDITOR) as auditor:
        log = auditor.get("/audit/access", params={"user": "repairs.bot"}).json()["items"]
    whats = [entry["what"] for entry in log]
    assert all(entry["role"] == "partner" for entry in log)
    assert "GET /api/v1/complaints/{complaint_id}" in whats
    assert "POST /api/v1/complaints/{complaint_id}/resolve" in whats
    assert "refused GET /api/v1/customers/{customer_id}" in whats
    reads = [e for e in log if e["what"] == "GET /api/v1/complaints/{complaint_id}"]
    assert {e["customer_id"] for e in reads} == {customer}
    assert all(e["customer_id"] is None for e in log if e["what"].startswith("refused"))

    # A partner token without an organisation may do nothing; only a partner
    # token has one.
    orphan = hub.tokens.create(Role.PARTNER, "orphan")
    headers = {"Authorization": f"Bearer {orphan}"}
    for path in ("/complaints", f"/complaints/{shared}", "/appointments"):
        assert client.get(base_url + "/api/v1" + path, headers=headers).status_code == 403
    with pytest.raises(TokenRefused):
        hub.tokens.create(Role.AGENT, "agent.of.repairs", partner="repairs")


def test_the_cli_makes_partners_and_their_tokens(
    hub: Hub, settings: Settings, client: httpx.Client, base_url: str, api: Any
) -> None:
    env = cli_env(settings)
    # Each run of the command costs seconds on a busy machine: few of them.
    made = run_cli(env, "partner", "create", "movers", "--site", SITE, "--site", "Lager 2")
    assert made.returncode == 0, made.stderr
    assert [p.sites for p in hub.partners.all()] == [(SITE, "Lager 2")]
    refused = run_cli(env, "token", "create", "--partner", "nobody")
    assert refused.returncode == 1 and "no partner nobody" in refused.stderr
    result = run_cli(env, "token", "create", "--partner", "movers", "--name", "movers.api")
    assert result.returncode == 0, result.stderr
    token = last_line(result)
    customer = a_customer(client, base_url, api)
    at_site = appointment(api, customer, "Lager 2")
    appointment(api, customer, "anderswo")
    headers = {"Authorization": f"Bearer {token}"}
    mine = client.get(base_url + "/api/v1/appointments", headers=headers)
    assert [a["appointment_id"] for a in mine.json()] == [at_site]
    assert client.get(base_url + "/api/v1/customers", headers=headers).status_code == 403


def signed_by(secret: str, request: Received) -> bool:
    return verify(
        secret,
        request.headers["x-contacthub-timestamp"],
        request.body,
        request.headers["x-contacthub-signature"],
        now=int(time.time()),
    )


def test_a_partner_endpoint_that_was_down_gets_every_event_in_order_each_signed(
    hub: Hub,
    settings: Settings,
    client: httpx.Client,
    base_url: str,
    api: Any,
    admin: httpx.Client,
    receiver: PartnerReceiver,
) -> None:
    assert admin.post("/partners", json={"name": "logistics", "sites": [SITE]}).status_code == 201
    types = ["ComplaintShared", "ComplaintResolved", "ComplaintReopened", "AppointmentScheduled"]
    response = admin.post(
        "/partners/logistics/webhooks", json={"url": receiver.url, "event_types": types}
    )
    assert response.status_code == 201, response.text
    secret = response.json()["secret"]
    listed = admin.get("/partners/logistics/webhooks").json()["items"]
    assert [w["url"] for w in listed] == [receiver.url] and "secret" not in listed[0]

    # The endpoint is down (nothing listens) while things happen.
    customer = a_customer(client, base_url, api)
    case = open_case(api, customer, "Paket beschädigt")
    not_shared = open_case(api, customer, "Anderes Thema")
    api.post(f"/complaints/{case}/share", json={"partner": "logistics"})
    api.post(f"/complaints/{case}/resolve", json={"resolution": "ersetzt"})
    api.post(f"/complaints/{not_shared}/resolve", json={})
    api.post(f"/complaints/{case}/reopen")
    appointment(api, customer, SITE)
    appointment(api, customer, "nicht bei uns")
    api.post(f"/complaints/{case}/resolve", json={"resolution": "endgültig ersetzt"})
    expected = [
        ("ComplaintShared", case),
        ("ComplaintResolved", case),
        ("ComplaintReopened", case),
        ("AppointmentScheduled", None),
        ("ComplaintResolved", case),
    ]
    wait_until(lambda: any(d.attempts >= 3 for d in hub.partner_outbox.heads()))
    assert hub.partner_outbox.of_partner("logistics", "dead") == []

    # Up again, but answering 503 for a while; then it takes them.
    receiver.failing = 3
    receiver.start()
    wait_until(lambda: len(receiver.delivered) == len(expected), timeout=15)
    delivered = receiver.delivered
    got = [(r.json["event_type"], r.json["event"]["originator_id"]) for r in delivered]
    assert [t for t, _ in got] == [t for t, _ in expected]
    assert [s for (_, s), (_, e) in zip(got, expected, strict=True) if e] == [case] * 4
    assert all(signed_by(secret, r) for r in receiver.requests)
    assert not any(signed_by("whsec_not-the-secret", r) for r in receiver.requests)
    # A tampered body fails the check too.
    first = delivered[0]
    assert not signed_by(secret, Received(200, first.headers, first.body.replace(b"}", b" }", 1)))
    # The refused attempts carried the same delivery id as the one taken.
    ids = [r.headers["x-contacthub-delivery"] for r in delivered]
    assert len(set(ids)) == len(ids)
    assert {r.headers["x-contacthub-delivery"] for r in receiver.requests} == set(ids)
    assert [r.json["delivery_id"] for r in delivered] == ids
    assert delivered[1].json["event"]["resolution"] == "ersetzt"

    # The follower stops; what happens meanwhile goes out once the worker
    # process (`contacthub run partner-webhooks`) takes over from the same
    # durable position: nothing lost, nothing sent twice.
    hub.partner_webhooks.stop()
    api.post(f"/complaints/{case}/reopen")
    env = cli_env(settings)
    env["CONTACTHUB_MASTER_KEY"] = (settings.data_dir / "master.key").read_text().strip()
    worker = subprocess.Popen(
        [CLI, "run", "partner-webhooks"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        # A resent delivery would come first (store order), so the first one
        # that arrives tells.
        wait_until(lambda: len(receiver.delivered) > len(expected), timeout=60)
    finally:
        worker.terminate()
        _, errors = worker.communicate(timeout=30)
    assert worker.returncode == 0, errors
    after = [r.json["event_type"] for r in receiver.delivered][len(expected) :]
    assert after == ["ComplaintReopened"]
    assert (
        len({r.headers["x-contacthub-delivery"] for r in receiver.delivered}) == len(expected) + 1
    )


@pytest.mark.parametrize("settings", [2], indirect=True)
def test_after_its_attempts_a_delivery_is_a_dead_letter_that_an_admin_replays(
    hub: Hub,
    client: httpx.Client,
    base_url: str,
    api: Any,
    admin: httpx.Client,
    receiver: PartnerReceiver,
) -> None:
    admin.post("/partners", json={"name": "dealer"})
    hook = admin.post(
        "/partners/dealer/webhooks",
        json={
            "url": receiver.url,
            "event_types": ["ComplaintShared", "ComplaintResolved"],
            "secret": "a-secret-we-chose-ourselves",
        },
    ).json()
    assert hook["secret"] == "a-secret-we-chose-ourselves"
    receiver.failing = 2
    receiver.start()
    customer = a_customer(client, base_url, api)
    case = open_case(api, customer, "Falsches Modell geliefert")
    api.post(f"/complaints/{case}/share", json={"partner": "dealer"})
    [dead] = wait_until(lambda: admin.get("/partners/dealer/dead-letters").json()["items"])
    assert dead["event_type"] == "ComplaintShared" and dead["attempts"] == 2
    assert dead["last_error"] == "HTTP 503"
    # The dead letter no longer holds up what comes after it.
    api.post(f"/complaints/{case}/resolve", json={})
    wait_until(lambda: receiver.delivered)
    assert [r.json["event_type"] for r in receiver.delivered] == ["ComplaintResolved"]

    with agent_client(hub, base_url, "ida", Role.AUDITOR) as auditor:
        # Auditors read the partner configuration and its dead letters, and change nothing.
        assert auditor.get("/partners").json()["items"][0]["name"] == "dealer"
        assert auditor.get("/partners/dealer/webhooks").status_code == 200
        assert auditor.get("/partners/dealer/dead-letters").json()["items"] == [dead]
        replay = f"/partners/dealer/dead-letters/{dead['id']}/replay"
        assert auditor.post(replay).status_code == 403
        assert auditor.post("/partners", json={"name": "x"}).status_code == 403
        assert (
            auditor.post(
                "/partners/dealer/webhooks", json={"url": receiver.url, "event_types": types_()}
            ).status_code
            == 403
        )
    with agent_client(hub, base_url, "al", Role.AGENT) as agent:
        assert agent.get("/partners").status_code == 403
        assert agent.post(replay).status_code == 403

    assert admin.post(f"/partners/dealer/dead-letters/{uuid4()}/replay").status_code == 404
    assert admin.post(f"/partners/nobody/dead-letters/{dead['id']}/replay").status_code == 404
    response = admin.post(replay)
    assert response.status_code == 200, response.text
    wait_until(lambda: len(receiver.delivered) == 2)
    again = receiver.delivered[1]
    assert again.json["event_type"] == "ComplaintShared"
    assert again.headers["x-contacthub-delivery"] == dead["id"]
    assert signed_by("a-secret-we-chose-ourselves", again)
    assert admin.get("/partners/dealer/dead-letters").json()["items"] == []
    assert admin.post(replay).status_code == 404  # delivered: no dead letter to replay

    # Malformed subscriptions change nothing.
    for bad in (
        {"url": "ftp://example.org", "event_types": ["ComplaintShared"]},
        {"url": receiver.url, "event_types": ["NoSuchEvent"]},
        {"url": receiver.url, "event_types": []},
        {"url": receiver.url, "event_types": ["ComplaintShared"], "secret": "short"},
    ):
        assert admin.post("/partners/dealer/webhooks", json=bad).status_code == 422, bad
    assert (
        admin.post(
            "/partners/nobody/webhooks", json={"url": receiver.url, "event_types": types_()}
        ).status_code
        == 404
    )
    assert len(admin.get("/partners/dealer/webhooks").json()["items"]) == 1


def types_() -> list[str]:
    return ["ComplaintShared"]
