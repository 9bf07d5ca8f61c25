"""`contacthub replay --verify`: rebuild every read model beside the live one and compare.

The shadow views (another file or schema, services/infra/shadow.py) are built
from the whole log up to exactly the position each live view stands at, then
compared table by table. The live views are only read, so this runs beside a
live projector: a live checksum counts only if the view's position did not move
while it was taken (every batch a view commits moves its position).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from projections.view import SqlView
from services.app.projector import Projector
from services.infra.eventstore import EventStore

ATTEMPTS = 20


class ViewKeptMoving(RuntimeError):
    """A live view moved on during every attempt to take its checksum."""


@dataclass(frozen=True)
class TableComparison:
    view: str
    table: str
    position: int
    live: str
    rebuilt: str

    @property
    def same(self) -> bool:
        return self.live == self.rebuilt


def verify_rebuild(
    store: EventStore,
    live: Sequence[SqlView],
    shadow: Sequence[SqlView],
    progress: Callable[[int], None] | None = None,
) -> list[TableComparison]:
    """Rebuilds `shadow` (empty views of the same kinds as `live`, in the same
    order) from the store and compares each table with its live twin."""
    for view in shadow:
        view.setup(defer_indexes=True)  # no secondary index: only read once, in key order
    start = min((view.position() for view in live), default=0)
    Projector(store, shadow).catch_up(progress, until=start)
    comparisons: list[TableComparison] = []
    for live_view, shadow_view in zip(live, shadow, strict=True):
        comparisons += _compare(store, live_view, shadow_view)
    return comparisons


def _compare(store: EventStore, live: SqlView, shadow: SqlView) -> list[TableComparison]:
    one = Projector(store, [shadow])
    for _ in range(ATTEMPTS):
        position = live.position()
        one.catch_up(until=position)
        sums = live.table_checksums()
        if live.position() == position:
            rebuilt = shadow.table_checksums()
            return [
                TableComparison(live.name, table, position, sums[table], rebuilt[table])
                for table in live.tables
            ]
    raise ViewKeptMoving(f"{live.name} moved on during {ATTEMPTS} checksums; try again")
