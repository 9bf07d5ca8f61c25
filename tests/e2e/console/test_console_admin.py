"""Admins manage users in the console, in a real browser: an admin creates an
agent, the agent logs in; disabled, the agent cannot; a revoked token stops
working; an agent gets 403 on the admin page."""

from __future__ import annotations

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from services.infra.auth import Role
from services.wiring.hub import Hub
from tests.e2e.console.conftest import log_in, screenshot

ADMIN = ("ada.admin", "Ada-Passwort-1")
NEW_AGENT = ("otto.agent", "Otto-Passwort-1")


def test_an_admin_creates_an_agent_who_then_logs_in(
    hub: Hub, base_url: str, context: BrowserContext, page: Page
) -> None:
    hub.users.create(ADMIN[0], Role.ADMIN, ADMIN[1])
    log_in(page, base_url, ADMIN)
    page.get_by_role("link", name="Users").click()
    page.wait_for_url(base_url + "/admin/users")
    form = page.locator("#new-user")
    form.get_by_label("User name").fill(NEW_AGENT[0])
    form.get_by_label("Role").select_option("agent")
    form.get_by_label("Team").fill("care")
    form.get_by_label("Password").fill(NEW_AGENT[1])
    form.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("status")).to_contain_text(NEW_AGENT[0])
    row = page.locator(f'[id="user-{NEW_AGENT[0]}"]')
    expect(row).to_contain_text("agent")
    expect(row).to_contain_text("care")
    screenshot(page, "admin-users")
    created = hub.users.get(NEW_AGENT[0])
    assert created is not None and created.role == Role.AGENT and created.team == "care"

    context.clear_cookies()
    log_in(page, base_url, NEW_AGENT)
    expect(page.locator(".me")).to_contain_text(NEW_AGENT[0])


def test_an_admin_disables_a_user_and_revokes_a_token(
    hub: Hub, base_url: str, context: BrowserContext, page: Page
) -> None:
    hub.users.create(ADMIN[0], Role.ADMIN, ADMIN[1])
    hub.users.create(NEW_AGENT[0], Role.AGENT, NEW_AGENT[1])
    secret = hub.tokens.create(Role.AGENT, "night.shift")
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {secret}"}) as api:
        assert api.get("/api/v1/complaints").status_code == 200

        log_in(page, base_url, ADMIN)
        page.goto(base_url + "/admin/users")
        page.get_by_role("button", name=f"Disable {NEW_AGENT[0]}").click()
        page.wait_for_url(base_url + "/admin/users")
        disabled = hub.users.get(NEW_AGENT[0])
        assert disabled is not None and disabled.disabled_at is not None
        page.get_by_role("button", name="Revoke night.shift").click()
        page.wait_for_url(base_url + "/admin/users")
        assert api.get("/api/v1/complaints").status_code == 401

    context.clear_cookies()
    page.goto(base_url + "/login")
    page.get_by_label("User name").fill(NEW_AGENT[0])
    page.get_by_label("Password").fill(NEW_AGENT[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert page.url.startswith(base_url + "/login")


def test_an_agent_gets_403_on_the_admin_page(
    hub: Hub, base_url: str, page: Page, accounts: dict[str, tuple[str, str]]
) -> None:
    log_in(page, base_url, accounts["agent"])
    assert page.get_by_role("link", name="Users").count() == 0
    refused = page.goto(base_url + "/admin/users")
    assert refused is not None and refused.status == 403
    expect(page.get_by_role("alert")).to_contain_text("admins only")
    # Posting the create form with a valid session and CSRF token changes nothing either.
    csrf = page.evaluate("document.querySelector('input[name=csrf]').value")
    answer = page.request.post(
        base_url + "/admin/users",
        form={"csrf": csrf, "name": "mallory", "role": "admin", "password": "Mallory-Pw-1"},
    )
    assert answer.status == 403
    assert hub.users.get("mallory") is None
