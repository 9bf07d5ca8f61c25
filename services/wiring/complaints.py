"""The complaint parts of the hub, built together (called by the composition root)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from projections.complaints import ComplaintQueues, CustomerCaseIndex
from services.app.complaints.access import CaseAccess
from services.app.complaints.canned_responses import CannedResponses
from services.app.complaints.config import ComplaintConfig
from services.app.complaints.desk import ComplaintDesk
from services.app.complaints.intake import ComplaintIntake
from services.app.complaints.scheduler import SlaScheduler
from services.app.intake.recorder import Recorder
from services.infra.eventstore import EventStore
from services.infra.settings import Settings


@dataclass
class Complaints:
    config: ComplaintConfig
    desk: ComplaintDesk
    intake: ComplaintIntake
    scheduler: SlaScheduler
    canned: CannedResponses
    access: CaseAccess

    def start(self) -> None:
        """The background processes `contacthub serve` runs: intake and SLA scheduler.
        The intake catches up in its own thread, so a long backlog does not delay start-up."""
        self.intake.start()
        self.intake.wake()
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.stop()
        self.intake.stop()


def build_complaints(
    settings: Settings,
    config: ComplaintConfig,
    store: EventStore,
    recorder: Recorder,
    queues: ComplaintQueues,
    index: CustomerCaseIndex,
    *,
    clock: Callable[[], datetime],
    on_write: Callable[[], None],
    team_of_user: Callable[[str], str | None],
) -> Complaints:
    desk = ComplaintDesk(store, recorder, queues, config.policy, clock=clock, on_write=on_write)
    return Complaints(
        config=config,
        desk=desk,
        intake=ComplaintIntake(store, desk, index, config, clock=clock),
        scheduler=SlaScheduler(desk, queues, clock=clock, interval=settings.sla_tick_seconds),
        canned=CannedResponses(settings.canned_responses_dir),
        access=CaseAccess(config.queue_teams, team_of_user),
    )
