"""The console's browser tests: Debian's Chromium driven by Playwright, against a
real hub on loopback (SMTP receiver, Twilio stand-in, SQLite and PostgreSQL).

Chromium comes from Debian (tests/run.sh installs it); Playwright only drives
it through `executable_path`, so nothing is downloaded at run time.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, sync_playwright

from services.infra.auth import Role
from services.wiring.hub import Hub
from tests.support.email_fixtures import relay, settings_fixture, smtp_port

__all__ = ["relay", "smtp_port"]  # fixtures used by these tests

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
AGENT = ("anna.agent", "Anna-Passwort-1")
SUPERVISOR = ("sven.super", "Sven-Passwort-1")


# Email in over SMTP and out through the relay, SMS through the Twilio
# stand-in, and no quiet hours (the tests run at any hour).
settings = settings_fixture(quiet_hours="")


@pytest.fixture
def context() -> Iterator[BrowserContext]:
    """A fresh browser with a new, empty profile for each test.

    Playwright's sync API runs an event loop in this thread while it is
    started: it is stopped after each test, or later tests' asyncio.run fails."""
    with (
        sync_playwright() as playwright,
        tempfile.TemporaryDirectory(prefix="contacthub-chromium-") as profile,
    ):
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 800},
            locale="en-GB",
            accept_downloads=True,
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.pages[0] if context.pages else context.new_page()


@pytest.fixture
def accounts(hub: Hub) -> dict[str, tuple[str, str]]:
    hub.users.create(AGENT[0], Role.AGENT, AGENT[1], team="care")
    hub.users.create(SUPERVISOR[0], Role.SUPERVISOR, SUPERVISOR[1], team="care")
    return {"agent": AGENT, "supervisor": SUPERVISOR}


def log_in(page: Page, base_url: str, user: tuple[str, str]) -> None:
    page.goto(base_url + "/login")
    page.get_by_label("User name").fill(user[0])
    page.get_by_label("Password").fill(user[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + "/")


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
