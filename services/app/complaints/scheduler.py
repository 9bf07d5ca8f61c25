"""The SLA scheduler: raises warnings and breaches when they fall due.

It keeps no state of its own. The queue view says which active cases have an
SLA instant due (`sla_next_at`); for each, the desk folds the case from the
store and appends what is due and not yet recorded under the current policy,
with ids fixed by (case, policy, target, kind). After a restart it simply
catches up: instants missed while it was down are raised with their own due
time as `occurred_at`, and nothing is raised twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from projections.complaints import ComplaintQueues
from projections.complaints.rows import iso
from services.app.complaints.desk import ComplaintDesk
from services.infra.follower import Follower


class SlaScheduler:
    def __init__(
        self,
        desk: ComplaintDesk,
        queues: ComplaintQueues,
        *,
        clock: Callable[[], datetime],
        interval: float = 1.0,
    ) -> None:
        self.desk = desk
        self.queues = queues
        self.clock = clock
        self.interval = interval
        # Clock-driven: a round per interval, nothing wakes it early; after a
        # failed tick the next interval is the back-off.
        self._follower = Follower(
            "sla-scheduler", lambda _stop: self.tick(), poll_interval=interval, back_off=0.0
        )

    def tick(self) -> int:
        """Raises everything due now; returns how many events it appended."""
        appended = 0
        for complaint_id in self.queues.due_cases(iso(self.clock()) or ""):
            outcome = self.desk.raise_due_sla(complaint_id)
            if outcome is not None:
                appended += len(outcome.notification_ids)
        return appended

    def reapply(self) -> int:
        """Evaluates every case, closed ones included, under the current policy and
        appends the breaches (and pending warnings) it implies that are missing."""
        appended = 0
        for complaint_id in self.queues.all_case_ids():
            outcome = self.desk.raise_due_sla(complaint_id)
            if outcome is not None:
                appended += len(outcome.notification_ids)
        return appended

    def start(self) -> None:
        self._follower.start()

    def stop(self) -> None:
        self._follower.stop()
