"""The console's session: a signed cookie that names the user and carries the CSRF token.

The cookie holds no secret and nothing personal: a user name, a random CSRF
token and when it was issued, signed with HMAC-SHA256 under a key derived from
the master key (so rotating the master key ends every session). Who the user
is now (role, team, disabled) is read from the accounts on every request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

COOKIE = "contacthub_session"
# A working day and a bit: agents log in once per shift.
MAX_AGE_SECONDS = 12 * 3600
_PURPOSE = b"contacthub console session v1"


@dataclass(frozen=True)
class Session:
    csrf: str
    issued_at: int
    user: str | None = None


def new_session(now: int, user: str | None = None) -> Session:
    """A fresh session: logging in always gets a new CSRF token (no fixation)."""
    return Session(csrf=secrets.token_urlsafe(24), issued_at=now, user=user)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    def __init__(self, master_key: bytes) -> None:
        self._key = hmac.new(master_key, _PURPOSE, hashlib.sha256).digest()

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def dumps(self, session: Session) -> str:
        payload = _b64(
            json.dumps({"u": session.user, "c": session.csrf, "t": session.issued_at}).encode()
        )
        return f"{payload}.{self._mac(payload)}"

    def loads(self, value: str, now: int) -> Session | None:
        """The session if the cookie is ours, unaltered and not expired."""
        payload, _, mac = value.partition(".")
        if not mac or not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            data = json.loads(_unb64(payload))
            session = Session(csrf=str(data["c"]), issued_at=int(data["t"]), user=data["u"])
        except (ValueError, KeyError, TypeError):
            return None
        if not 0 <= now - session.issued_at <= MAX_AGE_SECONDS:
            return None
        return session


def csrf_matches(session: Session | None, submitted: str | None) -> bool:
    return (
        session is not None
        and bool(submitted)
        and hmac.compare_digest(session.csrf.encode(), (submitted or "").encode())
    )
