"""Who may act on which complaint case: pure decisions over roles, teams and queues.

Queues belong to teams (configured, `CONTACTHUB_QUEUE_TEAMS`); a queue without
a team is open to every agent, so a set-up without teams works as before.
Roles (the values of services/infra/auth.py's `Role`):

- agent: reads and acts on the cases of its own team's queues and of team-less
  queues; another team's cases are left out of its lists and refused one by one;
- supervisor: the same, and reassigns those cases, to members of its team only;
  its figures (queue sizes, SLA compliance) cover the same queues;
- auditor: reads everything, changes nothing;
- admin: everything (users, tokens, settings, erasure are admin-only elsewhere).

A principal without a team (a token made with `--role` only, or a user made
without `--team`) acts on team-less queues only: owning a queue is a promise
that nobody outside the team touches its cases.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Protocol


class AccessDenied(Exception):
    """The principal may not do this (403); the message says why. Not a
    PermissionError: that is an OSError, which I/O handlers catch."""


class Who(Protocol):
    """The caller as decisions need it (services/infra/auth.py's Principal)."""

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def team(self) -> str | None: ...


class CaseAction(StrEnum):
    OPEN = "open"  # a case in a queue
    CLAIM = "claim"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    ESCALATE = "escalate"
    CATEGORISE = "categorise"
    PRIORITISE = "prioritise"
    CLOSE = "close"
    REPLY = "reply"
    ASSIGN = "assign"
    SHARE = "share"  # with a partner organisation


READ_ONLY_ROLES = frozenset({"auditor"})
SUPERVISING_ROLES = frozenset({"supervisor", "admin"})
# Who reads every queue's cases: the auditor (to audit) and the admin. A partner
# reads only what is shared with it, decided elsewhere (docs/partners.md).
READ_ALL_ROLES = frozenset({"auditor", "admin", "partner"})


def team_of_queue(teams: Mapping[str, str], queue: str) -> str | None:
    return teams.get(queue)


def hidden_queues(who: Who, teams: Mapping[str, str]) -> frozenset[str]:
    """The queues whose cases `who` may not see: those of another team."""
    if who.role in READ_ALL_ROLES:
        return frozenset()
    return frozenset(queue for queue, team in teams.items() if team != who.team)


def _another_teams(who: Who, queue: str, teams: Mapping[str, str]) -> str | None:
    """Why `queue` is not `who`'s: it belongs to a team `who` is not in."""
    owner = team_of_queue(teams, queue)
    if owner is None or owner == who.team:
        return None
    mine = f"team {who.team}" if who.team else "no team"
    return f"queue {queue} belongs to team {owner}; {who.name} is in {mine}"


def read_refusal(who: Who, queue: str, teams: Mapping[str, str]) -> str | None:
    """Why `who` may not read a case in `queue`; None if allowed."""
    if who.role in READ_ALL_ROLES:
        return None
    return _another_teams(who, queue, teams)


def check_read(who: Who, queue: str, teams: Mapping[str, str]) -> None:
    refusal = read_refusal(who, queue, teams)
    if refusal is not None:
        raise AccessDenied(refusal)


def case_refusal(who: Who, action: CaseAction, queue: str, teams: Mapping[str, str]) -> str | None:
    """Why `who` may not do `action` on a case in `queue`; None if allowed."""
    if who.role in READ_ONLY_ROLES:
        return f"role {who.role} may only read"
    if action is CaseAction.ASSIGN and who.role not in SUPERVISING_ROLES:
        return "only supervisors may reassign a case"
    if who.role == "admin":
        return None
    if who.role == "partner":
        # The case was shared with it by the team (partner_gate lets a partner
        # reach only its shared cases, and only resolve them).
        return None
    return _another_teams(who, queue, teams)


def assignee_refusal(
    who: Who, queue: str, assignee: str, assignee_team: str | None, teams: Mapping[str, str]
) -> str | None:
    """Why `who` may not give a case in `queue` to `assignee`: a supervisor
    reassigns within its team; a team's queue goes to members of that team."""
    if who.role == "admin":
        owner = team_of_queue(teams, queue)
        if owner is not None and assignee_team != owner:
            return f"queue {queue} belongs to team {owner}; {assignee} is not in it"
        return None
    if who.team is not None and assignee_team != who.team:
        return f"{assignee} is not in team {who.team}"
    owner = team_of_queue(teams, queue)
    if owner is not None and assignee_team != owner:
        return f"queue {queue} belongs to team {owner}; {assignee} is not in it"
    return None


def check_case(who: Who, action: CaseAction, queue: str, teams: Mapping[str, str]) -> None:
    refusal = case_refusal(who, action, queue, teams)
    if refusal is not None:
        raise AccessDenied(refusal)


def check_assignee(
    who: Who, queue: str, assignee: str, assignee_team: str | None, teams: Mapping[str, str]
) -> None:
    refusal = assignee_refusal(who, queue, assignee, assignee_team, teams)
    if refusal is not None:
        raise AccessDenied(refusal)
