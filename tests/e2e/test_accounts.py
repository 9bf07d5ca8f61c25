"""Accounts end to end: the real `contacthub user` and `token` commands as
subprocesses beside a running hub, the tokens they print used over HTTP, and
the admin API (admins only), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.infra.auth import Principal, Role
from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.cli import cli_env, last_line, run_cli
from tests.support.complaints import customer_id_of, customer_writes

PHONE = "+4917612345678"
PASSWORD = "correct horse battery staple"


def bearer(base_url: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def open_case(client: httpx.Client, base_url: str, api: Any) -> str:
    customer_writes(client, base_url, 1, PHONE, "Hallo")
    customer = customer_id_of(api, PHONE)
    opened = api.post("/complaints", json={"customer_id": customer})
    assert opened.status_code == 201, opened.text
    return str(opened.json()["complaint_id"])


def claim_by_both(base_url: str, cid: str, first: str, second: str) -> list[httpx.Response]:
    answers = []
    for token in (first, second):
        with bearer(base_url, token) as agent:
            answers.append(agent.post(f"/complaints/{cid}/claim"))
    return answers


def test_two_tokens_made_without_a_name_are_two_agents(
    hub: Hub, settings: Settings, client: httpx.Client, base_url: str, api: Any
) -> None:
    env = cli_env(settings)
    made = [run_cli(env, "token", "create", "--role", "agent") for _ in range(2)]
    first, second = (last_line(m) for m in made)
    names = [hub.tokens.authenticate(t) for t in (first, second)]
    assert names[0] is not None and names[1] is not None
    assert names[0].name != names[1].name
    assert all(p is not None and p.name in m.stderr for p, m in zip(names, made, strict=True))

    cid = open_case(client, base_url, api)
    won, refused = claim_by_both(base_url, cid, first, second)
    assert won.status_code == 200 and won.json()["assignee"] == names[0].name
    assert refused.status_code == 409, refused.text
    assert f"already claimed by {names[0].name}" in refused.json()["detail"]


def test_users_from_the_cli_log_in_and_their_tokens_act_as_them(
    hub: Hub, settings: Settings, client: httpx.Client, base_url: str, api: Any
) -> None:
    env = cli_env(settings)
    # The password from standard input (not a terminal): nothing secret is printed.
    piped = run_cli(
        env, "user", "create", "anna", "--role", "agent", "--team", "billing", stdin=PASSWORD + "\n"
    )
    assert piped.returncode == 0, piped.stderr
    assert PASSWORD not in piped.stdout + piped.stderr
    assert hub.users.verify_login("anna", PASSWORD) == Principal("anna", Role.AGENT, "billing")
    assert hub.users.verify_login("anna", "wrong password") is None

    # At a terminal a password is generated and printed alone on the last line.
    generated = run_cli(env, "user", "create", "ben", "--role", "agent", terminal=True)
    ben_password = last_line(generated)
    assert len(ben_password) >= 16 and " " not in ben_password
    assert hub.users.verify_login("ben", ben_password) == Principal("ben", Role.AGENT)

    refused = run_cli(env, "user", "create", "anna", "--role", "admin", stdin=PASSWORD)
    assert refused.returncode == 1 and "exists" in refused.stderr
    empty = run_cli(env, "user", "create", "cem", "--role", "agent")
    assert empty.returncode == 2 and "standard input" in empty.stderr
    short = run_cli(env, "user", "create", "cem", "--role", "agent", stdin="short\n")
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    assert hub.users.get("cem") is None

    anna = last_line(run_cli(env, "token", "create", "--user", "anna", "--expires-in", "30"))
    ben = last_line(run_cli(env, "token", "create", "--user", "ben"))
    assert hub.tokens.authenticate(anna) == Principal("anna", Role.AGENT, "billing")
    both = run_cli(env, "token", "create", "--user", "anna", "--role", "admin")
    assert both.returncode == 2, both.stderr

    # Two users' tokens are two agents.
    cid = open_case(client, base_url, api)
    won, lost = claim_by_both(base_url, cid, anna, ben)
    assert won.status_code == 200 and won.json()["assignee"] == "anna"
    assert lost.status_code == 409 and "already claimed by anna" in lost.json()["detail"]

    listed = run_cli(env, "token", "list")
    assert listed.returncode == 0, listed.stderr
    assert anna not in listed.stdout and ben not in listed.stdout  # never the secret
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert rows[0] == ["name", "user", "role", "created", "expires", "revoked"]
    by_user = {row[1]: row for row in rows[1:]}
    assert by_user["anna"][2] == "agent" and by_user["ben"][4] == "-"
    expires = datetime.fromisoformat(by_user["anna"][4])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)

    revoked = run_cli(env, "token", "revoke", by_user["ben"][0])
    assert revoked.returncode == 0, revoked.stderr
    hub.tokens.forget_cached()  # this test's hub is another process than the command
    with bearer(base_url, ben) as agent:
        assert agent.get("/complaints").status_code == 401
    assert run_cli(env, "token", "revoke", "no-such-token").returncode == 1
    revoked_row = next(
        line.split("\t")
        for line in run_cli(env, "token", "list").stdout.splitlines()
        if line.startswith(by_user["ben"][0] + "\t")
    )
    assert revoked_row[5] != "-"

    # passwd from standard input; disable: no login and no token any more.
    assert run_cli(env, "user", "passwd", "anna", stdin="a new password\n").returncode == 0
    assert hub.users.verify_login("anna", PASSWORD) is None
    assert hub.users.verify_login("anna", "a new password") is not None
    assert run_cli(env, "user", "disable", "anna").returncode == 0
    assert run_cli(env, "user", "disable", "nobody").returncode == 1
    hub.tokens.forget_cached()
    with bearer(base_url, anna) as agent:
        assert agent.get("/complaints").status_code == 401
    assert hub.users.verify_login("anna", "a new password") is None

    users = [line.split("\t") for line in run_cli(env, "user", "list").stdout.splitlines()]
    assert users[0] == ["name", "role", "team", "created", "disabled", "locked"]
    assert [(u[0], u[1], u[2], u[4] != "-") for u in users[1:]] == [
        ("anna", "agent", "billing", True),
        ("ben", "agent", "-", False),
    ]


def test_an_expired_token_is_refused(hub: Hub, base_url: str) -> None:
    expired = hub.tokens.create(
        Role.AGENT, "yesterday", expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    with bearer(base_url, expired) as agent:
        refused = agent.get("/complaints")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"


ADMIN_ROUTES = [
    ("GET", "/users", None),
    ("POST", "/users", {"name": "eve", "role": "admin", "password": PASSWORD}),
    ("POST", "/users/anna/disable", None),
    ("GET", "/tokens", None),
    ("POST", "/tokens/agent.test/revoke", None),
]


def test_the_admin_api_is_for_admins_only(hub: Hub, base_url: str, api: Any) -> None:
    hub.users.create("anna", Role.SUPERVISOR, PASSWORD)
    _, supervisor = hub.tokens.create_for_user("anna")
    with bearer(base_url, supervisor) as anna, httpx.Client(base_url=base_url + "/api/v1") as anon:
        for method, path, body in ADMIN_ROUTES:
            for client in (api, anna):
                answer = client.request(method, path, json=body)
                assert answer.status_code == 403, (method, path, answer.text)
            assert anon.request(method, path, json=body).status_code == 401
    # Nothing changed.
    assert [u.name for u in hub.users.all()] == ["anna"]
    assert hub.users.get("anna").disabled_at is None  # type: ignore[union-attr]
    assert all(t.revoked_at is None for t in hub.tokens.all())
    assert api.get("/complaints").status_code == 200


def test_admins_manage_users_and_tokens_over_http(hub: Hub, base_url: str, api: Any) -> None:
    with bearer(base_url, hub.tokens.create(Role.ADMIN, "root")) as admin:
        created = admin.post(
            "/users",
            json={"name": "anna", "role": "agent", "team": "billing", "password": PASSWORD},
        )
        assert created.status_code == 201, created.text
        shown = created.json()
        assert (shown["name"], shown["role"], shown["team"]) == ("anna", "agent", "billing")
        assert "password" not in shown and shown["disabled_at"] is None
        assert hub.users.verify_login("anna", PASSWORD) == Principal("anna", Role.AGENT, "billing")

        again = admin.post("/users", json={"name": "anna", "role": "admin", "password": PASSWORD})
        assert again.status_code == 409
        weak = admin.post("/users", json={"name": "ben", "role": "agent", "password": "short"})
        assert weak.status_code == 422 and weak.json()["detail"][0]["loc"] == ["body", "password"]
        bad = admin.post("/users", json={"name": "b n", "role": "boss", "password": PASSWORD})
        assert bad.status_code == 422
        assert {tuple(e["loc"]) for e in bad.json()["detail"]} == {
            ("body", "name"),
            ("body", "role"),
        }
        assert [u["name"] for u in admin.get("/users").json()["items"]] == ["anna"]

        _, token = hub.tokens.create_for_user("anna")
        with bearer(base_url, token) as anna:
            assert anna.get("/complaints").status_code == 200
            disabled = admin.post("/users/anna/disable")
            assert disabled.status_code == 200 and disabled.json()["disabled_at"] is not None
            assert anna.get("/complaints").status_code == 401  # at once, cache or not
        assert admin.post("/users/nobody/disable").status_code == 404

        tokens = admin.get("/tokens")
        assert tokens.status_code == 200
        assert token not in tokens.text
        by_name = {t["name"]: t for t in tokens.json()["items"]}
        assert by_name["agent.test"]["user"] is None and by_name["root"]["role"] == "admin"
        assert set(by_name["agent.test"]) == {
            "name",
            "user",
            "role",
            "created_at",
            "expires_at",
            "revoked_at",
        }

        assert api.get("/complaints").status_code == 200
        revoked = admin.post("/tokens/agent.test/revoke")
        assert revoked.status_code == 200 and revoked.json() == {"name": "agent.test", "revoked": 1}
        assert api.get("/complaints").status_code == 401
        assert admin.post("/tokens/no-such-token/revoke").status_code == 404

    document = httpx.get(base_url + "/openapi.json").json()
    for path in (
        "/api/v1/users",
        "/api/v1/users/{name}/disable",
        "/api/v1/tokens",
        "/api/v1/tokens/{name}/revoke",
    ):
        assert path in document["paths"], path
    assert "403" in document["paths"]["/api/v1/users"]["get"]["responses"]
