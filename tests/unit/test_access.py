"""The access decisions (domain/access.py), as a table: role x team x queue x action."""

from __future__ import annotations

import pytest

from domain.access import AccessDenied, CaseAction, assignee_refusal, case_refusal, check_case
from services.infra.auth import Principal, Role

TEAMS = {"billing": "team-a"}
ALICE = Principal("alice", Role.AGENT, "team-a")
BOB = Principal("bob", Role.AGENT, "team-b")
ROBOT = Principal("robot", Role.AGENT)  # a --role token: no team
SAM = Principal("sam", Role.SUPERVISOR, "team-a")
AUDREY = Principal("audrey", Role.AUDITOR, "team-a")
ROOT = Principal("root", Role.ADMIN)


@pytest.mark.parametrize(
    ("who", "action", "queue", "allowed"),
    [
        (ALICE, CaseAction.CLAIM, "billing", True),
        (BOB, CaseAction.CLAIM, "billing", False),
        (BOB, CaseAction.REPLY, "billing", False),
        (BOB, CaseAction.CLAIM, "complaints", True),  # a queue without a team: open
        (ROBOT, CaseAction.CLAIM, "complaints", True),
        (ROBOT, CaseAction.RESOLVE, "billing", False),
        (ALICE, CaseAction.ASSIGN, "billing", False),  # agents never reassign
        (SAM, CaseAction.ASSIGN, "billing", True),
        (SAM, CaseAction.RESOLVE, "billing", True),
        (AUDREY, CaseAction.CLAIM, "billing", False),  # auditors change nothing
        (AUDREY, CaseAction.CLAIM, "complaints", False),
        (ROOT, CaseAction.ASSIGN, "billing", True),
        (ROOT, CaseAction.CLOSE, "billing", True),
    ],
)
def test_who_may_act_on_a_case(
    who: Principal, action: CaseAction, queue: str, allowed: bool
) -> None:
    assert (case_refusal(who, action, queue, TEAMS) is None) is allowed


def test_a_refusal_says_whose_queue_it_is() -> None:
    with pytest.raises(
        AccessDenied, match=r"^queue billing belongs to team team-a; bob is in team team-b$"
    ):
        check_case(BOB, CaseAction.CLAIM, "billing", TEAMS)
    assert case_refusal(ROBOT, CaseAction.CLAIM, "billing", TEAMS) == (
        "queue billing belongs to team team-a; robot is in no team"
    )
    assert case_refusal(AUDREY, CaseAction.CLAIM, "billing", TEAMS) == "role auditor may only read"


@pytest.mark.parametrize(
    ("who", "queue", "assignee_team", "allowed"),
    [
        (SAM, "billing", "team-a", True),
        (SAM, "billing", "team-b", False),  # outside the supervisor's team
        (SAM, "billing", None, False),  # unknown or team-less assignee
        (SAM, "complaints", "team-a", True),
        (SAM, "complaints", "team-b", False),
        (Principal("sue", Role.SUPERVISOR), "complaints", "team-b", True),
        (ROOT, "billing", "team-a", True),
        (ROOT, "billing", "team-b", False),  # a team's queue goes to its members
        (ROOT, "complaints", None, True),
    ],
)
def test_who_a_case_may_go_to(
    who: Principal, queue: str, assignee_team: str | None, allowed: bool
) -> None:
    assert (assignee_refusal(who, queue, "x", assignee_team, TEAMS) is None) is allowed
