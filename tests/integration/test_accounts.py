"""Users, logins and API tokens on a real SQLite and PostgreSQL store: passwords
verified with argon2, the login lock stored where every process sees it, tokens
that act as their user and stop with revocation, expiry or a disabled user."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from domain.logins import LOCKED_FOR, MAX_FAILURES
from services.infra.accounts import UserExists, UserStore
from services.infra.auth import (
    InvalidName,
    Principal,
    Role,
    TokenNotFound,
    TokenRefused,
)
from services.infra.passwords import Passwords, WeakPassword
from services.infra.settings import Settings
from services.infra.sql import SqlRunner
from services.wiring.hub import Hub, build_hub
from tests.support.complaints import SettableClock

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"


def cheap_hasher() -> PasswordHasher:
    """argon2 at its lowest cost: for tests of the lock, which verify many times
    and do not depend on the hash's parameters."""
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class CountingHasher(PasswordHasher):
    """argon2's own hasher, counting how often it verifies."""

    verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified += 1
        return super().verify(hash, password)


@pytest.fixture
def store_settings(tmp_path: Path, database_url: str | None) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(START)


@pytest.fixture
def hub(store_settings: Settings, clock: SettableClock) -> Iterator[Hub]:
    hub = build_hub(store_settings, clock=clock)
    yield hub
    hub.close()


def db_of(hub: Hub) -> SqlRunner:
    return hub.users.db


def test_a_login_is_the_user_with_the_right_password_only(hub: Hub) -> None:
    hub.users.create("anna", Role.AGENT, PASSWORD, team="billing")
    assert hub.users.verify_login("anna", PASSWORD) == Principal("anna", Role.AGENT, "billing")
    assert hub.users.verify_login("anna", PASSWORD + "x") is None
    assert hub.users.verify_login("Anna", PASSWORD) is None
    assert hub.users.verify_login("nobody", PASSWORD) is None

    with pytest.raises(UserExists):
        hub.users.create("anna", Role.ADMIN, "another password")
    with pytest.raises(WeakPassword):
        hub.users.create("ben", Role.AGENT, "short")
    with pytest.raises(InvalidName):
        hub.users.create("ben smith", Role.AGENT, PASSWORD)
    assert [u.name for u in hub.users.all()] == ["anna"]  # refused ones left nothing

    # Only the argon2 hash is stored.
    [row] = db_of(hub).query("SELECT password_hash FROM contacthub_users")
    assert row["password_hash"].startswith("$argon2id$") and PASSWORD not in row["password_hash"]


def test_unknown_disabled_and_locked_users_cost_one_verification_like_a_wrong_password(
    hub: Hub, clock: SettableClock
) -> None:
    hasher = CountingHasher(time_cost=1, memory_cost=1024, parallelism=1)
    users = UserStore(db_of(hub), Passwords(hasher), clock=clock)
    users.create("anna", Role.AGENT, PASSWORD)
    users.create("ben", Role.AGENT, PASSWORD)
    users.disable("ben")
    users.create("cem", Role.AGENT, PASSWORD)
    for _ in range(MAX_FAILURES):
        users.verify_login("cem", "wrong password")
    cases = [("anna", "wrong password"), ("nobody", PASSWORD), ("ben", PASSWORD), ("cem", PASSWORD)]
    for name, password in cases:
        before = hasher.verified
        assert users.verify_login(name, password) is None
        # The dummy hash is made once, on first use; each login verifies once.
        assert hasher.verified == before + 1, name


def test_five_wrong_passwords_in_a_row_lock_the_login_for_every_process_a_while(
    hub: Hub, store_settings: Settings, clock: SettableClock
) -> None:
    users = UserStore(db_of(hub), Passwords(cheap_hasher()), clock=clock)
    users.create("anna", Role.AGENT, PASSWORD)
    for _ in range(MAX_FAILURES - 1):
        assert users.verify_login("anna", "wrong password") is None
    # A success resets the count: these failures do not add up with later ones.
    assert users.verify_login("anna", PASSWORD) is not None
    for _ in range(MAX_FAILURES - 1):
        assert users.verify_login("anna", "wrong password") is None
    assert users.verify_login("anna", PASSWORD) is not None

    for _ in range(MAX_FAILURES):
        assert users.verify_login("anna", "wrong password") is None
    assert users.verify_login("anna", PASSWORD) is None  # locked: right or not
    user = users.get("anna")
    assert user is not None and user.locked_until == START + LOCKED_FOR

    # Another process (its own hub on the same store) sees the same lock.
    other = build_hub(store_settings, clock=clock)
    try:
        assert other.users.verify_login("anna", PASSWORD) is None
        clock.advance(LOCKED_FOR)
        assert other.users.verify_login("anna", PASSWORD) == Principal("anna", Role.AGENT)
    finally:
        other.close()
    user = users.get("anna")
    assert user is not None and user.locked_until is None
    # After the lock, a fresh count: one wrong password does not lock again.
    assert users.verify_login("anna", "wrong password") is None
    assert users.verify_login("anna", PASSWORD) is not None


def test_a_new_password_replaces_the_old_one_and_lifts_the_lock(
    hub: Hub, clock: SettableClock
) -> None:
    users = UserStore(db_of(hub), Passwords(cheap_hasher()), clock=clock)
    users.create("anna", Role.AGENT, PASSWORD)
    for _ in range(MAX_FAILURES):
        users.verify_login("anna", "wrong password")
    assert users.verify_login("anna", PASSWORD) is None
    users.set_password("anna", "a new password")
    assert users.verify_login("anna", PASSWORD) is None
    assert users.verify_login("anna", "a new password") is not None


def test_a_hash_made_with_older_parameters_is_replaced_at_the_next_login(
    hub: Hub, clock: SettableClock
) -> None:
    UserStore(db_of(hub), Passwords(cheap_hasher()), clock=clock).create(
        "anna", Role.AGENT, PASSWORD
    )
    current = hub.users.passwords
    [before] = db_of(hub).query("SELECT password_hash FROM contacthub_users")
    assert current.needs_rehash(before["password_hash"])

    assert hub.users.verify_login("anna", PASSWORD) is not None
    [after] = db_of(hub).query("SELECT password_hash FROM contacthub_users")
    assert after["password_hash"] != before["password_hash"]
    assert not current.needs_rehash(after["password_hash"])
    assert hub.users.verify_login("anna", PASSWORD) is not None


def test_a_users_token_acts_as_the_user_until_revoked(hub: Hub) -> None:
    hub.users.create("anna", Role.SUPERVISOR, PASSWORD, team="billing")
    name, token = hub.tokens.create_for_user("anna")
    assert name.startswith("anna-")
    assert hub.tokens.authenticate(token) == Principal("anna", Role.SUPERVISOR, "billing")
    assert hub.tokens.authenticate(token + "x") is None

    [listed] = hub.tokens.all()
    assert (listed.name, listed.user, listed.role) == (name, "anna", Role.SUPERVISOR)
    assert listed.revoked_at is None and listed.expires_at is None

    assert hub.tokens.revoke(name) == 1
    assert hub.tokens.cached(token) is None
    assert hub.tokens.authenticate(token) is None
    assert hub.tokens.revoke(name) == 0  # once is enough
    with pytest.raises(TokenNotFound):
        hub.tokens.revoke("no-such-token")
    [listed] = hub.tokens.all()
    assert listed.revoked_at == START


def test_a_disabled_users_tokens_stop_and_no_new_one_is_made(hub: Hub) -> None:
    hub.users.create("anna", Role.AGENT, PASSWORD)
    _, token = hub.tokens.create_for_user("anna")
    assert hub.tokens.authenticate(token) is not None
    hub.users.disable("anna")
    hub.tokens.forget_cached()
    assert hub.tokens.authenticate(token) is None
    assert hub.users.verify_login("anna", PASSWORD) is None
    with pytest.raises(TokenRefused, match="disabled"):
        hub.tokens.create_for_user("anna")
    with pytest.raises(TokenRefused, match="no user"):
        hub.tokens.create_for_user("nobody")
    # A token of its own may not take a user's name: it would act as that user.
    with pytest.raises(TokenRefused, match="is a user"):
        hub.tokens.create(Role.ADMIN, "anna")


def test_a_token_stops_when_it_expires_also_from_the_cache(hub: Hub, clock: SettableClock) -> None:
    hub.users.create("anna", Role.AGENT, PASSWORD)
    _, users_token = hub.tokens.create_for_user("anna", expires_at=START + timedelta(days=7))
    own_token = hub.tokens.create(Role.AUDITOR, "reports", expires_at=START + timedelta(days=1))
    assert hub.tokens.authenticate(own_token) == Principal("reports", Role.AUDITOR)
    assert hub.tokens.authenticate(users_token) is not None

    clock.advance(timedelta(days=1))
    assert hub.tokens.cached(own_token) is None
    assert hub.tokens.authenticate(own_token) is None
    assert hub.tokens.cached(users_token) is not None
    clock.advance(timedelta(days=6))
    assert hub.tokens.authenticate(users_token) is None
    assert {t.name: t.expires_at for t in hub.tokens.all()}["reports"] == START + timedelta(days=1)


def test_tokens_made_before_users_existed_keep_working(
    store_settings: Settings, clock: SettableClock
) -> None:
    token = "chub_made-by-the-previous-version"
    first = build_hub(store_settings, clock=clock)
    try:
        db = db_of(first)
        with db.transaction(commit=True) as cursor:
            # The table as the previous version made it, with one of its tokens.
            cursor.execute("DROP TABLE contacthub_api_tokens")
            cursor.execute(
                "CREATE TABLE contacthub_api_tokens ("
                " token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,"
                " created_at TEXT NOT NULL, revoked_at TEXT)"
            )
            db.run(
                cursor,
                "INSERT INTO contacthub_api_tokens (token_hash, name, role, created_at)"
                " VALUES (%(h)s, 'agent-token', 'agent', %(at)s)",
                {"h": hashlib.sha256(token.encode()).hexdigest(), "at": START.isoformat()},
            )
    finally:
        first.close()
    upgraded = build_hub(store_settings, clock=clock)
    try:
        assert upgraded.tokens.authenticate(token) == Principal("agent-token", Role.AGENT)
        [old] = upgraded.tokens.all()
        assert (old.user, old.expires_at) == (None, None)
        upgraded.users.create("anna", Role.AGENT, PASSWORD)
        _, new = upgraded.tokens.create_for_user("anna")
        assert upgraded.tokens.authenticate(new) == Principal("anna", Role.AGENT)
    finally:
        upgraded.close()
