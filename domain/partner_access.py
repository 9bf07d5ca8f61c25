"""What a partner organisation may see and do: pure rules, no I/O.

A partner (a logistics company, a repair service, a dealer) calls the same API
as the agents, with a token of role `partner` bound to its organisation. It
may call only the routes listed here (403 on every other), and on those only
the objects shared with it: cases shared with it (`ComplaintShared`) and
appointments at one of its sites. Another object answers 404, exactly as if it
did not exist, so a partner cannot probe which case ids exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# (method, route template): all a partner may call. Reads of its cases and
# appointments, and resolving a shared case (with its resolution text).
PARTNER_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/api/v1/complaints"),
        ("GET", "/api/v1/complaints/{complaint_id}"),
        ("POST", "/api/v1/complaints/{complaint_id}/resolve"),
        ("GET", "/api/v1/appointments"),
        ("GET", "/api/v1/appointments/{appointment_id}"),
    }
)


def may_call(method: str, route: str) -> bool:
    """Whether a partner may call this route at all (before looking at the object)."""
    return (method.upper(), route) in PARTNER_ROUTES


def sees_case(partner: str | None, shared_with: Iterable[str]) -> bool:
    """A partner sees a case only while it is shared with its organisation."""
    return partner is not None and partner in set(shared_with)


def sees_appointment(sites: Iterable[str], location: str) -> bool:
    """An appointment is shared with the partner one of whose sites is its
    location, exactly as written (the list of appointments filters the same way
    in SQL, so both answers agree)."""
    return bool(location) and location in set(sites)


def case_audience(before: Iterable[str], after: Iterable[str]) -> frozenset[str]:
    """The partners an event of a case concerns: those it was shared with before
    or after the event (an unshare is told to the partner losing the case)."""
    return frozenset(before) | frozenset(after)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff for webhook deliveries."""

    max_attempts: int
    base_seconds: float
    max_seconds: float

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failed attempt (1, 2, ...)."""
        return float(min(self.max_seconds, self.base_seconds * 2 ** max(0, attempts - 1)))

    def gives_up(self, attempts: int) -> bool:
        """After this many failed attempts the delivery goes to the dead letters."""
        return attempts >= self.max_attempts
