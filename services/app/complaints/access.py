"""Access to complaint cases at the use-case edge: one helper for the API and the console.

The decision (domain/access.py) is made on the case as the command folds it
from the store, inside the desk's decide loop, so it sees the queue the case is
in now (not a lagging read model) and a refusal appends nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from domain.access import CaseAction, Who, check_assignee, check_case, check_read, hidden_queues
from domain.complaints import ComplaintState, Stamp
from events import Event

Decision = Callable[[ComplaintState | None, Stamp], list[Event]]


@dataclass(frozen=True)
class CaseAccess:
    teams: Mapping[str, str]  # queue -> the team that owns it
    team_of_user: Callable[[str], str | None]

    def hidden(self, who: Who) -> frozenset[str]:
        """The queues whose cases `who` does not see (another team's): for lists."""
        return hidden_queues(who, self.teams)

    def check_read(self, who: Who, queue: str) -> None:
        """AccessDenied unless `who` may read the cases of `queue`."""
        check_read(who, queue, self.teams)

    def check_queue(self, who: Who, action: CaseAction, queue: str) -> None:
        """For commands that name a queue rather than a case (claim-next)."""
        check_case(who, action, queue, self.teams)

    def guarded(self, who: Who, action: CaseAction, decision: Decision) -> Decision:
        """`decision`, refused with AccessDenied unless `who` may do `action` on the case."""

        def run(state: ComplaintState | None, stamp: Stamp) -> list[Event]:
            if state is not None:  # an unknown case is the decision's CaseNotFound
                check_case(who, action, state.queue, self.teams)
            return decision(state, stamp)

        return run

    def assigning(self, who: Who, assignee: str, decision: Decision) -> Decision:
        """A reassignment: `who` may reassign the case, and `assignee` may take it."""

        def run(state: ComplaintState | None, stamp: Stamp) -> list[Event]:
            if state is not None:
                check_case(who, CaseAction.ASSIGN, state.queue, self.teams)
                check_assignee(who, state.queue, assignee, self.team_of_user(assignee), self.teams)
            return decision(state, stamp)

        return run
