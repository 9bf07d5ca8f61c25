"""Password hashes: argon2id (argon2-cffi's `PasswordHasher`, its default cost).

Only the hash is stored. `verify` costs as much for an unknown user as for a
known one (it checks against a dummy hash), so the answer's timing does not
tell which user names exist.
"""

from __future__ import annotations

import secrets
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 1024  # argon2 takes any length; this bounds the work one request causes


class WeakPassword(ValueError):
    """The password breaks a rule; the message says which."""


def check_rules(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"the password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"the password may have at most {MAX_LENGTH} characters")


def generate() -> str:
    """A random password for a new account (24 URL-safe characters, 144 bits)."""
    return secrets.token_urlsafe(18)


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()

    def hash(self, password: str) -> str:
        check_rules(password)
        return self.hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """True if the password matches; with no hash (unknown user) the same
        work is done against a dummy hash and the answer is False."""
        try:
            return self.hasher.verify(stored_hash or self._dummy, password) and bool(stored_hash)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """True if the hash was made with other parameters than the hasher's now."""
        return self.hasher.check_needs_rehash(stored_hash)

    @cached_property
    def _dummy(self) -> str:
        # Made on first use, not at start-up: every process builds a hub, few log in.
        return self.hasher.hash(secrets.token_urlsafe(18))
