"""Segments: saved, named filters (domain/segments.py) over every customer's
profile, buying behaviour, classification, complaints and consent, with live
member counts: the facts are gathered from the read models when asked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID, uuid4

from domain.segments import Filter, matches, parse_filter
from projections.complaints import ComplaintQueues
from projections.consent import ConsentIndex
from projections.customer360 import Customer360
from projections.identity import IdentityIndex
from projections.orders import OrderHistory
from services.app.analytics.valuations import Valuations


class SegmentStorage(Protocol):
    def add(self, segment: Any) -> None: ...
    def all(self) -> list[Any]: ...
    def get(self, segment_id: UUID) -> Any | None: ...


@dataclass(frozen=True)
class SegmentSources:
    customers: Customer360
    identity: IdentityIndex
    orders: OrderHistory
    complaints: ComplaintQueues
    consent: ConsentIndex
    valuations: Valuations


class UnknownSegment(LookupError):
    """No segment has this id."""


class Segments:
    def __init__(
        self,
        storage: SegmentStorage,
        sources: SegmentSources,
        make: Callable[..., Any],
        clock: Callable[[], datetime],
    ) -> None:
        self.storage = storage
        self.sources = sources
        # Builds the storage's record from segment_id, name, description, filter,
        # created_by and created_at (the composition root passes the record type).
        self.make = make
        self.clock = clock

    def define(self, name: str, description: str, raw_filter: Any, *, by: str) -> Any:
        parse_filter(raw_filter)  # InvalidFilter (422) names what is wrong
        saved = self.make(
            segment_id=uuid4(),
            name=name,
            description=description,
            filter=raw_filter,
            created_by=by,
            created_at=self.clock().isoformat(),
        )
        self.storage.add(saved)
        return saved

    def all(self) -> list[tuple[Any, int]]:
        """Every segment with its member count now."""
        facts = self.facts()
        return [(s, len(_members(parse_filter(s.filter), facts))) for s in self.storage.all()]

    def members(self, segment_id: UUID) -> tuple[Any, list[str]]:
        saved = self.storage.get(segment_id)
        if saved is None:
            raise UnknownSegment(str(segment_id))
        return saved, _members(parse_filter(saved.filter), self.facts())

    def preview(self, raw_filter: Any) -> list[str]:
        return _members(parse_filter(raw_filter), self.facts())

    def facts(self) -> dict[str, dict[str, Any]]:
        """customer -> the facts the filter language names (domain/segments.py FIELDS)."""
        src = self.sources
        snapshot = src.valuations.snapshot()
        channels = src.identity.channels_by_customer()
        cases = src.complaints.case_counts()
        consent = src.consent.by_customer()
        totals = {r["customer_id"]: r for r in src.orders.customer_totals("", "9999")}
        bought: dict[str, tuple[set[str], set[str]]] = {}
        for line in src.orders.kept_lines():
            cats, skus = bought.setdefault(line["customer_id"], (set(), set()))
            if line["category"]:
                cats.add(line["category"])
            skus.add(line["sku"])
        now = snapshot.computed_at
        found: dict[str, dict[str, Any]] = {}
        for profile in src.customers.profiles():
            c = profile["customer_id"]
            total = totals.get(c)
            orders = int(total["orders"]) if total else 0
            revenue = int(total["revenue_cents"]) / 100 if total else 0.0
            last = total["last_order_at"] if total else None
            score = snapshot.rfm.get(c)
            churn = snapshot.churn.get(c)
            decided = consent.get(c, {})
            cats, skus = bought.get(c, (set(), set()))
            found[c] = {
                "language": profile["language"],
                "source_channel": profile["source_channel"],
                "channels": channels.get(c, set()),
                "revenue": revenue,
                "order_count": orders,
                "average_basket": revenue / orders if orders else None,
                "days_since_last_order": (
                    (now - datetime.fromisoformat(last)).total_seconds() / 86_400 if last else None
                ),
                "categories": cats,
                "products": skus,
                "abc_class": snapshot.abc.get(c),
                "rfm_segment": score.segment if score else None,
                "recency": score.recency if score else None,
                "frequency": score.frequency if score else None,
                "monetary": score.monetary if score else None,
                "churn_risk": bool(churn and churn.at_risk),
                "complaints": cases.get(c, (0, 0))[0],
                "open_complaints": cases.get(c, (0, 0))[1],
                "opted_out": {ch for ch, granted in decided.items() if not granted},
                "opted_in": {ch for ch, granted in decided.items() if granted},
            }
        return found


def _members(f: Filter, facts: dict[str, dict[str, Any]]) -> list[str]:
    return sorted(c for c, fact in facts.items() if matches(f, fact))
