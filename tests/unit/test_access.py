"""The access decisions (domain/access.py), as a table: role x team x queue x action."""

from __future__ import annotations

import pytest

from domain.access import (
    AccessDenied,
    CaseAction,
    assignee_refusal,
    case_refusal,
    check_case,
    hidden_queues,
    read_refusal,
)
from services.entry.api.routes.stream import about_hidden_queues
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


TWO_TEAMS = {"billing": "team-a", "returns": "team-b"}
TESS = Principal("tess", Role.SUPERVISOR, "team-b")
PARTNER = Principal("acme", Role.PARTNER)


@pytest.mark.parametrize(
    ("who", "hidden"),
    [
        (ALICE, {"returns"}),
        (BOB, {"billing"}),
        (TESS, {"billing"}),  # a supervisor sees within its team
        (ROBOT, {"billing", "returns"}),  # no team: the team-less queues only
        (AUDREY, set()),  # auditors read everything
        (ROOT, set()),
        (PARTNER, set()),  # a partner's reads are its shares (partner_gate)
    ],
)
def test_whose_cases_are_hidden_from_whom(who: Principal, hidden: set[str]) -> None:
    assert hidden_queues(who, TWO_TEAMS) == hidden
    for queue in ("billing", "returns", "complaints"):
        refusal = read_refusal(who, queue, TWO_TEAMS)
        assert (refusal is None) is (queue not in hidden), (who, queue)
    assert read_refusal(BOB, "billing", TWO_TEAMS) == (
        "queue billing belongs to team team-a; bob is in team team-b"
    )


def test_the_live_stream_leaves_out_what_concerns_only_another_teams_queues() -> None:
    hidden = frozenset({"billing"})
    queue_of = {"c1": "billing", "c2": "complaints"}.get
    opened = {"complaint_id": "c9", "queue": "billing"}
    assert about_hidden_queues(opened, hidden, queue_of)
    assert not about_hidden_queues({"complaint_id": "c9", "queue": "returns"}, hidden, queue_of)
    # An escalation from another team into mine is news to me.
    moved = {"complaint_id": "c9", "from_queue": "billing", "queue": "complaints"}
    assert not about_hidden_queues(moved, hidden, queue_of)
    # Other changes name no queue: the case's queue decides.
    assert about_hidden_queues({"complaint_id": "c1"}, hidden, queue_of)
    assert not about_hidden_queues({"complaint_id": "c2"}, hidden, queue_of)
    assert not about_hidden_queues({"complaint_id": "c3"}, hidden, queue_of)  # not yet known
    assert not about_hidden_queues({"interaction_id": "i1"}, hidden, queue_of)
    assert not about_hidden_queues(opened, frozenset(), queue_of)
