"""Opportunities (Vertriebschancen): the pure decisions and the pipeline report.

A pipeline is an ordered tuple of stages whose last two close the opportunity
(won, lost). An open opportunity may move to any other stage; a closed one
moves no more (a lost chance that comes back is a new opportunity, so the
report's conversion stays honest). `close_by_order` is the hook an order uses
to close the customer's opportunity as won.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from uuid import UUID

from events import Event, OpportunityOpened, OpportunityStageChanged

DEFAULT_STAGES = ("new", "qualified", "proposal", "negotiation", "won", "lost")
WON = "won"
LOST = "lost"


class OpportunityNotFound(LookupError):
    """No opportunity has this id (404)."""


class IllegalStageChange(ValueError):
    """The opportunity cannot move so; the message says why (409)."""


@dataclass(frozen=True)
class Pipeline:
    """The configured stages; the last two are won and lost."""

    stages: tuple[str, ...] = DEFAULT_STAGES

    def __post_init__(self) -> None:
        if len(self.stages) < 3 or self.stages[-2:] != (WON, LOST):
            raise ValueError("a pipeline needs open stages and ends with won, lost")
        if len(set(self.stages)) != len(self.stages):
            raise ValueError("stage names repeat")

    @property
    def open_stages(self) -> tuple[str, ...]:
        return self.stages[:-2]

    @classmethod
    def parse(cls, text: str) -> Pipeline:
        """Comma-separated open stages (`won,lost` are appended when missing)."""
        names = [s.strip() for s in text.split(",") if s.strip()]
        names = [n for n in names if n not in (WON, LOST)]
        return cls((*names, WON, LOST))


@dataclass(frozen=True)
class OpportunityState:
    opportunity_id: UUID
    customer_id: UUID
    stage: str
    owner: str
    value_minor: int
    currency: str
    version: int
    closed: bool = False


def fold(history: Iterable[Event]) -> OpportunityState | None:
    state: OpportunityState | None = None
    for event in history:
        if isinstance(event, OpportunityOpened):
            assert event.customer_id is not None
            state = OpportunityState(
                event.originator_id,
                event.customer_id,
                event.stage,
                event.owner,
                event.value_minor,
                event.currency,
                event.originator_version,
            )
        elif isinstance(event, OpportunityStageChanged) and state is not None:
            state = replace(
                state,
                stage=event.to_stage,
                version=event.originator_version,
                closed=event.to_stage in (WON, LOST),
            )
    return state


@dataclass(frozen=True)
class NewOpportunity:
    opportunity_id: UUID
    customer_id: UUID
    title: str
    value_minor: int
    currency: str
    owner: str
    expected_close: date | None
    interaction_ids: tuple[UUID, ...]
    stage: str | None = None


def open_opportunity(
    new: NewOpportunity, pipeline: Pipeline, *, by: str, event_id: UUID, now: datetime
) -> OpportunityOpened:
    stage = new.stage or pipeline.stages[0]
    if stage not in pipeline.open_stages:
        raise IllegalStageChange(
            f"an opportunity opens in an open stage ({', '.join(pipeline.open_stages)})"
        )
    return OpportunityOpened(
        event_id=event_id,
        originator_id=new.opportunity_id,
        customer_id=new.customer_id,
        occurred_at=now,
        recorded_at=now,
        title=new.title,
        value_minor=new.value_minor,
        currency=new.currency,
        stage=stage,
        owner=new.owner,
        expected_close=new.expected_close,
        interaction_ids=new.interaction_ids,
        opened_by=by,
    )


def move(
    state: OpportunityState | None,
    to_stage: str,
    pipeline: Pipeline,
    *,
    by: str,
    event_id: UUID,
    now: datetime,
    reason: str = "",
    order_id: str | None = None,
) -> list[Event]:
    """The stage change, or nothing if it stands there already."""
    if state is None:
        raise OpportunityNotFound("no such opportunity")
    if to_stage not in pipeline.stages:
        raise IllegalStageChange(f"unknown stage {to_stage!r} ({', '.join(pipeline.stages)})")
    if state.stage == to_stage:
        return []
    if state.closed:
        raise IllegalStageChange(f"the opportunity is {state.stage}; open a new one")
    if to_stage == LOST and not reason.strip():
        raise IllegalStageChange("a lost opportunity needs a reason")
    return [
        OpportunityStageChanged(
            event_id=event_id,
            originator_id=state.opportunity_id,
            originator_version=state.version + 1,
            customer_id=state.customer_id,
            occurred_at=now,
            recorded_at=now,
            from_stage=state.stage,
            to_stage=to_stage,
            by=by,
            reason=reason,
            order_id=order_id,
        )
    ]


def close_by_order(
    open_opportunities: Sequence[OpportunityState],
    pipeline: Pipeline,
    *,
    order_id: str,
    event_id: UUID,
    now: datetime,
) -> list[Event]:
    """The hook for orders: an order from the customer closes their open
    opportunity as won: the one furthest along (then the highest value), so
    that one order wins one opportunity. Nothing when none is open."""
    candidates = [s for s in open_opportunities if not s.closed]
    if not candidates:
        return []
    rank = {stage: i for i, stage in enumerate(pipeline.stages)}
    best = max(candidates, key=lambda s: (rank.get(s.stage, -1), s.value_minor))
    return move(
        best,
        WON,
        pipeline,
        by="order",
        event_id=event_id,
        now=now,
        reason="order",
        order_id=order_id,
    )


# The pipeline report -----------------------------------------------------------------


@dataclass(frozen=True)
class StageVisit:
    """One stay of one opportunity in one stage (`left_at` None: still there)."""

    opportunity_id: str
    stage: str
    entered_at: datetime
    left_at: datetime | None


@dataclass(frozen=True)
class OpportunityRow:
    opportunity_id: str
    stage: str
    value_minor: int
    currency: str
    close_reason: str


@dataclass
class StageFigures:
    stage: str
    count: int = 0
    value_minor: dict[str, int] = field(default_factory=dict)
    reached: int = 0
    # Of those that reached this stage, how many reached the next open stage (or won).
    converted_to_next: int | None = None
    conversion_rate: float | None = None
    mean_seconds_in_stage: float | None = None


@dataclass
class PipelineReport:
    stages: list[StageFigures]
    won_by_reason: dict[str, int]
    lost_by_reason: dict[str, int]
    win_rate: float | None


def pipeline_report(
    pipeline: Pipeline,
    opportunities: Sequence[OpportunityRow],
    visits: Sequence[StageVisit],
    now: datetime,
) -> PipelineReport:
    """Value and count per current stage (per currency: values in different
    currencies are never added), conversion from each open stage to the next
    (an opportunity that reached a later stage, or was won, passed through the
    ones before it even when it skipped them), mean time in each stage (stays
    still running count up to `now`), and won and lost per reason."""
    rank = {stage: i for i, stage in enumerate(pipeline.stages)}
    won_rank = rank[WON]
    figures = {stage: StageFigures(stage) for stage in pipeline.stages}
    for row in opportunities:
        if row.stage not in figures:
            continue  # a stage since removed from the configuration
        f = figures[row.stage]
        f.count += 1
        f.value_minor[row.currency] = f.value_minor.get(row.currency, 0) + row.value_minor
    # Furthest stage reached by each opportunity, on the open path (lost counts
    # where it was lost from, i.e. its furthest open stage).
    furthest: dict[str, int] = {}
    durations: dict[str, list[float]] = defaultdict(list)
    for visit in visits:
        if visit.stage not in rank:
            continue
        at = rank[visit.stage]
        if visit.stage != LOST:
            furthest[visit.opportunity_id] = max(furthest.get(visit.opportunity_id, -1), at)
        if visit.stage not in (WON, LOST):
            end = visit.left_at or now
            durations[visit.stage].append((end - visit.entered_at).total_seconds())
    for index, stage in enumerate(pipeline.open_stages):
        f = figures[stage]
        f.reached = sum(1 for reached in furthest.values() if reached >= index)
        nxt = index + 1 if index + 1 < len(pipeline.open_stages) else won_rank
        f.converted_to_next = sum(1 for reached in furthest.values() if reached >= nxt)
        f.conversion_rate = f.converted_to_next / f.reached if f.reached else None
        stays = durations.get(stage)
        f.mean_seconds_in_stage = sum(stays) / len(stays) if stays else None
    figures[WON].reached = figures[WON].count
    figures[LOST].reached = figures[LOST].count
    won = _by_reason(r for r in opportunities if r.stage == WON)
    lost = _by_reason(r for r in opportunities if r.stage == LOST)
    closed = figures[WON].count + figures[LOST].count
    return PipelineReport(
        stages=[figures[s] for s in pipeline.stages],
        won_by_reason=won,
        lost_by_reason=lost,
        win_rate=figures[WON].count / closed if closed else None,
    )


def _by_reason(rows: Iterable[OpportunityRow]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        reason = row.close_reason or "unspecified"
        counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items()))


def values_by_stage(report: PipelineReport) -> Mapping[str, int]:
    """Each stage's value summed over currencies, for a chart with one currency."""
    return {f.stage: sum(f.value_minor.values()) for f in report.stages}
