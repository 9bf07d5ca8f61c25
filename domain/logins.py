"""When may a user try to log in? Consecutive failures lock the account a while.

Guessing passwords online must be slow: after MAX_FAILURES wrong passwords in
a row, logins of that user are refused for LOCKED_FOR, even with the right
password (so guessing on does not tell the attacker when he is right). A
success resets the count. The decisions are pure; the caller stores the count
and the lock, and passes the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_FAILURES = 5
LOCKED_FOR = timedelta(minutes=15)


@dataclass(frozen=True)
class LoginFailures:
    """What is stored per user: wrong passwords in a row, and the lock if any."""

    count: int = 0
    locked_until: datetime | None = None


def is_locked(failures: LoginFailures, now: datetime) -> bool:
    return failures.locked_until is not None and now < failures.locked_until


def after_failure(count: int, now: datetime) -> LoginFailures:
    """The state after a wrong password, given the count including this one.

    The lock starts the count afresh: once it ends, the user has MAX_FAILURES
    tries again before the next lock."""
    if count >= MAX_FAILURES:
        return LoginFailures(0, now + LOCKED_FOR)
    return LoginFailures(count, None)
