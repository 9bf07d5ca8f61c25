"""Who may act on which complaint case: pure decisions over roles, teams and queues.

Queues belong to teams (configured, `CONTACTHUB_QUEUE_TEAMS`); a queue without
a team is open to every agent, so a set-up without teams works as before.
Roles (the values of services/infra/auth.py's `Role`):

- agent: acts on the cases of its own team's queues and of team-less queues;
- supervisor: the same, and reassigns those cases, to members of its team only;
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
    CLAIM = "claim"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    ESCALATE = "escalate"
    CATEGORISE = "categorise"
    PRIORITISE = "prioritise"
    CLOSE = "close"
    REPLY = "reply"
    ASSIGN = "assign"


READ_ONLY_ROLES = frozenset({"auditor"})
SUPERVISING_ROLES = frozenset({"supervisor", "admin"})


def team_of_queue(teams: Mapping[str, str], queue: str) -> str | None:
    return teams.get(queue)


def case_refusal(who: Who, action: CaseAction, queue: str, teams: Mapping[str, str]) -> str | None:
    """Why `who` may not do `action` on a case in `queue`; None if allowed."""
    if who.role in READ_ONLY_ROLES:
        return f"role {who.role} may only read"
    if action is CaseAction.ASSIGN and who.role not in SUPERVISING_ROLES:
        return "only supervisors may reassign a case"
    if who.role == "admin":
        return None
    owner = team_of_queue(teams, queue)
    if owner is None or owner == who.team:
        return None
    mine = f"team {who.team}" if who.team else "no team"
    return f"queue {queue} belongs to team {owner}; {who.name} is in {mine}"


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
