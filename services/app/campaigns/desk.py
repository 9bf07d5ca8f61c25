"""The campaign desk: define a campaign on a segment, start it (the members
snapshot is taken then), read campaigns and their report.

Sending is the sender follower's job (services/app/campaigns/sender.py): start
only records the snapshot and wakes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from domain import campaigns as domain
from domain.campaigns import (
    CampaignFigures,
    CampaignNotFound,
    InvalidCampaign,
    NewCampaign,
)
from domain.reports import Table
from projections.campaigns import Campaigns
from services.app.errors import CommandRefused
from services.app.intake.recorder import Recorder
from services.infra.eventstore import EventStore


@dataclass(frozen=True)
class CampaignReport:
    campaign: dict[str, Any]
    figures: CampaignFigures

    def table(self) -> Table:
        """The funnel as a report table (CSV and the SVG chart)."""
        return Table(
            f"Campaign {self.campaign['name']}: reach and response",
            ("figure", "count", "share_of_reach"),
            [tuple(row) for row in self.figures.rows()],
            label="figure",
            series=("count",),
            notes={"share_of_reach": "count / members the message reached (sent)"},
        )


class CampaignDesk:
    def __init__(
        self,
        store: EventStore,
        recorder: Recorder,
        view: Campaigns,
        *,
        segment_exists: Callable[[UUID], bool],
        segment_members: Callable[[UUID], list[str]],
        unconfigured: Callable[[Any], str | None],
        clock: Callable[[], datetime],
        on_start: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.view = view
        self.segment_exists = segment_exists
        self.segment_members = segment_members
        # Why a channel cannot send (settings missing), asked before a start.
        self.unconfigured = unconfigured
        self.clock = clock
        self.on_start = on_start

    def create(self, new: NewCampaign, *, by: str) -> int:
        """Records the campaign; returns its notification id (0: created before)."""
        if not self.segment_exists(new.segment_id):
            raise InvalidCampaign(f"no segment {new.segment_id}")
        if self.store.exists(new.campaign_id):
            return 0  # the same Idempotency-Key again
        now = self.clock()
        event = domain.create(new, event_id=uuid4(), now=now, by=by)
        return self.recorder.append([event]).notification_ids[-1]

    def start(self, campaign_id: UUID, *, by: str) -> int:
        """Snapshots the segment's members now and starts sending (409 if started)."""
        state = domain.fold(self.store.stream(campaign_id))
        if state is None:
            raise CampaignNotFound(f"no campaign {campaign_id}")
        if state.started_at is not None:
            raise domain.CampaignAlreadyStarted(f"campaign {campaign_id} was started before")
        refusal = self.unconfigured(state.channel)
        if refusal is not None:
            raise CommandRefused(refusal)
        members = [UUID(c) for c in self.segment_members(state.segment_id)]
        event = domain.start(state, members, event_id=uuid4(), now=self.clock(), by=by)
        # A concurrent start loses on the stream's next version (IntegrityError, 409).
        notification = self.recorder.append([event]).notification_ids[-1]
        self.on_start()
        return notification

    def get(self, campaign_id: UUID) -> dict[str, Any]:
        row = self.view.get(campaign_id)
        if row is None:
            raise CampaignNotFound(f"no campaign {campaign_id}")
        return row

    def listing(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        return self.view.listing(limit, offset)

    def report(self, campaign_id: UUID) -> CampaignReport:
        campaign = self.get(campaign_id)
        counted: dict[str, int] = {}
        for row in self.view.attributions(campaign_id):
            counted[row["kind"]] = counted.get(row["kind"], 0) + 1
        figures = domain.figures(int(campaign["members"]), self.view.sends(campaign_id), counted)
        return CampaignReport(campaign, figures)
