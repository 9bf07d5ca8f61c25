"""Teams and object-level access over HTTP, on SQLite and PostgreSQL: agents act on
their own team's cases only, supervisors reassign within their team, a refusal
is 403 with the reason and changes nothing; request bodies refuse fields a
caller may not set (422 naming the field)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import httpx
import pytest

from services.infra.auth import Role
from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.complaints import agent_client, customer_id_of, customer_writes

TEAMS = {"billing": "team-a", "returns": "team-b"}
PHONE = "+4917611112222"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"queue_teams": TEAMS})


def user_client(hub: Hub, base_url: str, name: str, role: Role, team: str | None) -> httpx.Client:
    hub.users.create(name, role, f"{name}-Passwort-1", team=team)
    _, token = hub.tokens.create_for_user(name)
    return httpx.Client(
        base_url=base_url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


@pytest.fixture
def people(hub: Hub, base_url: str) -> Iterator[dict[str, httpx.Client]]:
    clients = {
        "alice": user_client(hub, base_url, "alice", Role.AGENT, "team-a"),
        "amy": user_client(hub, base_url, "amy", Role.AGENT, "team-a"),
        "bob": user_client(hub, base_url, "bob", Role.AGENT, "team-b"),
        "sam": user_client(hub, base_url, "sam", Role.SUPERVISOR, "team-a"),
        "tess": user_client(hub, base_url, "tess", Role.SUPERVISOR, "team-b"),
        "admin": user_client(hub, base_url, "root", Role.ADMIN, None),
        "ada": user_client(hub, base_url, "ada", Role.AUDITOR, "team-b"),
        # A token made with --role only: no user, so no team.
        "teamless": agent_client(hub, base_url, "robot"),
    }
    yield clients
    for client in clients.values():
        client.close()


def open_case(api: httpx.Client, customer: str, queue: str) -> dict[str, Any]:
    response = api.post("/complaints", json={"customer_id": customer, "queue": queue})
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
def customer(client: httpx.Client, base_url: str, api: httpx.Client) -> str:
    customer_writes(client, base_url, 1, PHONE, "Hallo")
    return customer_id_of(api, PHONE)


def test_agents_act_on_their_own_teams_cases_only(
    hub: Hub, people: dict[str, httpx.Client], customer: str
) -> None:
    alice, bob = people["alice"], people["bob"]
    case = open_case(alice, customer, "billing")
    path = f"/complaints/{case['complaint_id']}"
    before = hub.store.max_notification_id()

    # Every case command of an agent of another team: 403 naming the owner, nothing recorded.
    refused = [
        ("claim", None),
        ("resolve", {"resolution": "done"}),
        ("reopen", None),
        ("escalate", {"to_queue": "returns"}),
        ("categorise", {"category": "defect"}),
        ("prioritise", {"priority": "high"}),
        ("close", None),
        ("reply", {"body": "Hallo", "channel": "sms"}),
    ]
    for action, body in refused:
        response = bob.post(f"{path}/{action}", json=body)
        assert response.status_code == 403, (action, response.text)
        assert (
            response.json()["detail"]
            == "queue billing belongs to team team-a; bob is in team team-b"
        )
    response = bob.post("/queues/billing/claim-next")
    assert response.status_code == 403 and "belongs to team team-a" in response.json()["detail"]
    # A token without a team acts on team-less queues only.
    response = people["teamless"].post(f"{path}/claim")
    assert response.status_code == 403
    assert response.json()["detail"] == "queue billing belongs to team team-a; robot is in no team"
    assert hub.store.max_notification_id() == before
    shown = alice.get(path).json()
    assert shown["state"] == "new" and shown["assignee"] is None and shown["priority"] == "normal"

    # The team's own agent acts; then escalating moves it to team B's queue, where bob acts.
    claimed = alice.post(f"{path}/claim")
    assert claimed.status_code == 200 and claimed.json()["assignee"] == "alice"
    moved = alice.post(f"{path}/escalate", json={"to_queue": "returns"})
    assert moved.status_code == 200 and moved.json()["queue"] == "returns"
    assert alice.post(f"{path}/claim").status_code == 403
    assert bob.post(f"{path}/claim").json()["assignee"] == "bob"

    # A queue without a team stays open to everyone, the team-less token included.
    open_case_ = open_case(bob, customer, "complaints")
    taken = people["teamless"].post(f"/complaints/{open_case_['complaint_id']}/claim")
    assert taken.status_code == 200 and taken.json()["assignee"] == "robot"


def ids(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {c["complaint_id"] for c in response.json()["items"]}


def test_agents_and_supervisors_see_their_own_teams_cases_only(
    hub: Hub, people: dict[str, httpx.Client], customer: str
) -> None:
    billing = open_case(people["alice"], customer, "billing")["complaint_id"]
    returns = open_case(people["bob"], customer, "returns")["complaint_id"]
    shared = open_case(people["bob"], customer, "complaints")["complaint_id"]  # no team
    everything = {billing, returns, shared}
    foreign = "queue billing belongs to team team-a; bob is in team team-b"

    for name, seen in [
        ("alice", {billing, shared}),
        ("bob", {returns, shared}),
        ("tess", {returns, shared}),  # team B's supervisor: within its team
        ("teamless", {shared}),
        ("ada", everything),  # an auditor reads every team's cases
        ("admin", everything),
    ]:
        who = people[name]
        assert ids(who.get("/complaints")) == seen, name
        assert ids(who.get("/complaints", params={"customer_id": customer})) == seen, name
        queues = {line["queue"] for line in who.get("/queues").json()["items"]}
        queue_of = {billing: "billing", returns: "returns", shared: "complaints"}
        assert queues == {queue_of[case] for case in seen}, name
        briefing = who.get(f"/customers/{customer}/briefing").json()
        assert {c["complaint_id"] for c in briefing["open_cases"]} == seen, name

    # One case of another team, asked for by its id or its queue: 403 naming the owner.
    bob = people["bob"]
    for path, params in [
        (f"/complaints/{billing}", None),
        ("/complaints", {"queue": "billing"}),
    ]:
        response = bob.get(path, params=params)
        assert response.status_code == 403, (path, response.text)
        assert response.json()["detail"] == foreign
    key = people["alice"].get("/canned-responses").json()["items"][0]["key"]
    rendered = bob.post(f"/canned-responses/{key}/render", json={"complaint_id": billing})
    assert rendered.status_code == 403 and rendered.json()["detail"] == foreign
    assert (
        people["alice"]
        .post(f"/canned-responses/{key}/render", json={"complaint_id": billing})
        .is_success
    )

    # Supervisor figures cover the supervisor's team's queues.
    figures = people["tess"].get("/analytics/complaints").json()
    assert {q["queue"] for q in figures["queues"]} == {"returns", "complaints"}
    assert figures["overall"]["open"] == 2
    audited = people["ada"].get("/analytics/complaints").json()
    assert {q["queue"] for q in audited["queues"]} == {"billing", "returns", "complaints"}

    # Sharing another team's case with a partner is one of that team's commands.
    assert people["admin"].post("/partners", json={"name": "repairs"}).status_code == 201
    before = hub.store.max_notification_id()
    response = bob.post(f"/complaints/{billing}/share", json={"partner": "repairs"})
    assert response.status_code == 403 and response.json()["detail"] == foreign
    assert hub.store.max_notification_id() == before
    shared = people["alice"].post(f"/complaints/{billing}/share", json={"partner": "repairs"})
    assert shared.json()["partners"] == ["repairs"]
    # The partner it is shared with sees it and resolves it, whichever team's queue it is in.
    token = hub.tokens.create(Role.PARTNER, "repairs.bot", partner="repairs")
    with httpx.Client(
        base_url=str(bob.base_url), headers={"Authorization": f"Bearer {token}"}, timeout=10
    ) as partner:
        assert ids(partner.get("/complaints")) == {billing}
        resolved = partner.post(f"/complaints/{billing}/resolve", json={"resolution": "repariert"})
        assert resolved.status_code == 200, resolved.text
        assert resolved.json()["state"] == "resolved"


def test_supervisors_reassign_within_their_team_and_admins_anywhere(
    hub: Hub, people: dict[str, httpx.Client], customer: str
) -> None:
    case = open_case(people["alice"], customer, "billing")
    assign = f"/complaints/{case['complaint_id']}/assign"
    before = hub.store.max_notification_id()

    # An agent may not give a case to someone (their own or another's).
    response = people["alice"].post(assign, json={"assignee": "amy"})
    assert response.status_code == 403
    # Team B's supervisor may not touch team A's case.
    response = people["tess"].post(assign, json={"assignee": "bob"})
    assert response.status_code == 403
    assert (
        response.json()["detail"] == "queue billing belongs to team team-a; tess is in team team-b"
    )
    # Team A's supervisor may not give it to someone outside team A.
    response = people["sam"].post(assign, json={"assignee": "bob"})
    assert response.status_code == 403 and response.json()["detail"] == "bob is not in team team-a"
    response = people["sam"].post(assign, json={"assignee": "nobody-known"})
    assert response.status_code == 403
    # Nor may an admin give a team's case to a non-member.
    response = people["admin"].post(assign, json={"assignee": "bob"})
    assert response.status_code == 403
    assert hub.store.max_notification_id() == before
    assert people["sam"].get(f"/complaints/{case['complaint_id']}").json()["assignee"] is None

    assert people["sam"].post(assign, json={"assignee": "amy"}).json()["assignee"] == "amy"
    assert people["admin"].post(assign, json={"assignee": "alice"}).json()["assignee"] == "alice"
    # The admin acts on any team's case.
    resolved = people["admin"].post(f"/complaints/{case['complaint_id']}/resolve", json={})
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"


def test_fields_a_caller_may_not_set_are_refused_with_422_naming_them(
    hub: Hub, people: dict[str, httpx.Client], customer: str
) -> None:
    alice = people["alice"]
    case = open_case(alice, customer, "billing")
    path = f"/complaints/{case['complaint_id']}"
    admin = people["admin"]
    table: list[tuple[httpx.Client, str, dict[str, Any], str]] = [
        (
            alice,
            "/complaints",
            {"customer_id": customer, "complaint_id": str(uuid4())},
            "complaint_id",
        ),
        (alice, "/complaints", {"customer_id": customer, "id": str(uuid4())}, "id"),
        (alice, "/complaints", {"customer_id": customer, "state": "resolved"}, "state"),
        (alice, "/complaints", {"customer_id": customer, "assignee": "bob"}, "assignee"),
        (alice, "/complaints", {"customer_id": customer, "opened_by": "bob"}, "opened_by"),
        (
            alice,
            f"{path}/resolve",
            {"resolution": "x", "resolved_at": "2020-01-01T00:00:00Z"},
            "resolved_at",
        ),
        (alice, f"{path}/escalate", {"recorded_at": "2020-01-01T00:00:00Z"}, "recorded_at"),
        (alice, f"{path}/categorise", {"category": "defect", "by": "bob"}, "by"),
        (alice, f"{path}/prioritise", {"priority": "high", "state": "closed"}, "state"),
        (people["sam"], f"{path}/assign", {"assignee": "amy", "by": "root"}, "by"),
        (alice, f"{path}/reply", {"body": "x", "assignee": "bob"}, "assignee"),
        (
            alice,
            f"/customers/{customer}/messages",
            {"channel": "sms", "body": "x", "consent_id": str(uuid4())},
            "consent_id",
        ),
        (
            alice,
            f"/customers/{customer}/consent",
            {"channels": {"sms": True}, "erased": True},
            "erased",
        ),
        (admin, f"/customers/{customer}/erase", {"reason": "asked", "erased": True}, "erased"),
        (
            alice,
            "/opportunities",
            {
                "customer_id": customer,
                "title": "x",
                "stage": "won",
                "recorded_at": "2020-01-01T00:00:00Z",
            },
            "recorded_at",
        ),
    ]
    before = hub.store.max_notification_id()
    for who, url, body, field in table:
        response = who.post(url, json=body) if "consent" not in url else who.put(url, json=body)
        assert response.status_code == 422, (url, field, response.text)
        locations = [error["loc"] for error in response.json()["detail"]]
        assert ["body", field] in locations, (url, field, locations)
        assert all(
            error["msg"] == "Extra inputs are not permitted"
            for error in response.json()["detail"]
            if error["loc"] == ["body", field]
        )
    assert hub.store.max_notification_id() == before
    shown = alice.get(path).json()
    assert shown["state"] == "new" and shown["assignee"] is None


# Non-GET operations an auditor may call: reads that take a body, and leaving.
AUDITOR_MAY = {
    ("post", "/api/v1/canned-responses/{key}/render"),  # fills a template in; records nothing
}
# Non-GET operations without a bearer token: each is authenticated by its own scheme.
NOT_BEARER = {
    ("post", "/webhooks/twilio/sms"),
    ("post", "/webhooks/twilio/sms/status"),
    ("post", "/webhooks/twilio/voice"),
    ("post", "/webhooks/twilio/voice/status"),
    ("post", "/webhooks/twilio/voice/recording"),
    ("post", "/webhooks/email/mailgun"),
    ("post", "/webhooks/post/status"),
    ("post", "/unsubscribe/email/{customer_id}/{signature}"),  # the link's own signature
}
CONSOLE_AUDITOR_MAY = {"/login", "/logout"}


def filled(path: str) -> str:
    """A path with its parameters filled: ids with a fresh UUID, names with a word."""
    return re.sub(
        r"\{([^}]+)\}", lambda m: str(uuid4()) if m.group(1).endswith("id") else "x", path
    )


def test_auditors_read_everything_and_change_nothing(
    hub: Hub, base_url: str, people: dict[str, httpx.Client], customer: str
) -> None:
    case = open_case(people["alice"], customer, "billing")
    hub.users.create("audrey", Role.AUDITOR, "Audrey-Passwort-1", team="team-a")
    _, token = hub.tokens.create_for_user("audrey")
    auditor = {"Authorization": f"Bearer {token}"}
    document = people["admin"].get(base_url + "/openapi.json").json()
    before = hub.store.max_notification_id()
    unauthenticated = set()
    swept = 0
    with httpx.Client(base_url=base_url, timeout=10) as web:
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                if method in ("get", "head"):
                    continue
                if not any("HTTPBearer" in s for s in operation.get("security", [])):
                    unauthenticated.add((method, path))
                    continue
                if (method, path) in AUDITOR_MAY:
                    continue
                for url in (filled(path), path.replace("{complaint_id}", case["complaint_id"])):
                    answer = web.request(method, url, json={}, headers=auditor)
                    assert answer.status_code == 403, (method, url, answer.text)
                    swept += 1
        # Reading is every role's.
        assert (
            web.get(f"/api/v1/complaints/{case['complaint_id']}", headers=auditor).status_code
            == 200
        )
    assert unauthenticated == NOT_BEARER
    assert swept > 60
    # Users, tokens and erasure (the operations tagged admin) are the admin's alone.
    admin_only = [
        (method, path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "admin" in operation.get("tags", [])
    ]
    assert ("post", "/api/v1/customers/{customer_id}/erase") in admin_only
    assert ("post", "/api/v1/users") in admin_only
    for who in ("alice", "sam"):
        for method, path in admin_only:
            answer = people[who].request(method, base_url + filled(path), json={})
            assert answer.status_code == 403, (who, method, path, answer.text)
    assert hub.store.max_notification_id() == before


def test_the_console_refuses_every_auditor_form_post(
    hub: Hub, base_url: str, people: dict[str, httpx.Client], customer: str
) -> None:
    from fastapi.routing import APIRoute

    from services.entry.console.app import ROUTERS

    case = open_case(people["alice"], customer, "billing")
    hub.users.create("audrey", Role.AUDITOR, "Audrey-Passwort-1", team="team-a")
    before = hub.store.max_notification_id()
    with httpx.Client(base_url=base_url, timeout=10) as web:
        csrf = re.search(r'name="csrf" value="([^"]+)"', web.get("/login").text)
        assert csrf is not None
        login = {"username": "audrey", "password": "Audrey-Passwort-1", "csrf": csrf.group(1)}
        assert web.post("/login", data=login).status_code == 303
        page = web.get("/queues/billing")
        assert page.status_code == 200 and case["case_number"] in page.text
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token is not None
        posts = [
            route.path
            for router in ROUTERS
            for route in router.routes
            if isinstance(route, APIRoute) and "POST" in route.methods
        ]
        assert len(posts) > 5
        for path in posts:
            if path in CONSOLE_AUDITOR_MAY:
                continue
            url = filled(path).replace("{action}", "claim")
            if "{complaint_id}" in path:
                url = path.replace("{complaint_id}", case["complaint_id"]).replace(
                    "{action}", "claim"
                )
            answer = web.post(url, data={"csrf": token.group(1), "queue": "billing"})
            assert answer.status_code == 403, (path, answer.status_code, answer.text[:300])
    assert hub.store.max_notification_id() == before
