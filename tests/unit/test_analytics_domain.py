"""The pure analytics decisions: ABC ties and limits, quintiles, segments,
churn, the filter language, the demo's skew."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid5

import pytest

from domain.segments import InvalidFilter, matches, parse_filter
from domain.valuation import (
    AbcLimits,
    InvalidLimits,
    abc_classes,
    churn_risk,
    months_before,
    quintile_scores,
    segment_of,
)
from events.ids import NAMESPACE
from services.app.demo_orders import generate_orders

NOW = datetime(2026, 3, 31, 12, tzinfo=UTC)


def test_the_top_customer_is_always_a_and_ties_break_by_id() -> None:
    assert abc_classes({"z": 100, "a": 1}, AbcLimits()) == {"z": "A", "a": "C"}
    # Equal revenue: decided by id, deterministic.
    assert abc_classes({"b": 10, "a": 10}, AbcLimits(50, 30, 20)) == {"a": "A", "b": "B"}
    assert abc_classes({"x": 0, "y": -5}, AbcLimits()) == {}


def test_limits_must_be_three_positive_shares_of_100() -> None:
    assert AbcLimits.parse("70, 20, 10") == AbcLimits(70, 20, 10)
    for bad in ("80,15", "80,20,0", "50,50,50", "a,b,c"):
        with pytest.raises(InvalidLimits):
            AbcLimits.parse(bad)


def test_equal_values_share_a_quintile() -> None:
    scores = quintile_scores({"a": 1, "b": 1, "c": 1, "d": 5, "e": 9})
    assert scores == {"a": 1, "b": 1, "c": 1, "d": 4, "e": 5}


def test_segments_take_the_first_matching_rule() -> None:
    assert segment_of(5, 5, 5, 20) == "champions"
    assert segment_of(5, 1, 1, 1) == "new"
    assert segment_of(1, 4, 2, 9) == "at_risk"
    assert segment_of(1, 1, 1, 1) == "hibernating"
    assert segment_of(3, 2, 2, 2) == "potential"


def test_churn_compares_the_pause_with_the_customers_own_rhythm() -> None:
    weekly = [NOW - timedelta(days=100 + 7 * n) for n in range(5)]
    flagged = churn_risk(weekly, NOW, 3.0)
    assert flagged.at_risk and "usually one every 7 days" in flagged.reason
    assert not churn_risk([NOW - timedelta(days=1 + 7 * n) for n in range(5)], NOW, 3.0).at_risk
    assert not churn_risk(weekly[:2], NOW, 3.0).at_risk  # no rhythm yet


def test_months_before_clamps_the_day() -> None:
    assert months_before(NOW, 1) == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert months_before(NOW, 12) == datetime(2025, 3, 31, 12, tzinfo=UTC)


def test_the_filter_language_refuses_what_it_does_not_know() -> None:
    flt = parse_filter(
        {"any": [{"field": "revenue", "op": "gt", "value": 10}, {"not": {"all": []}}]}
    )
    assert matches(flt, {"revenue": 11.0}) and not matches(flt, {"revenue": None})
    for bad, reason in (
        ({"field": "x", "op": "eq", "value": 1}, "unknown field"),
        ({"field": "revenue", "op": "in", "value": [1]}, "takes"),
        ({"field": "abc_class", "op": "eq", "value": 1}, "compares with a text"),
        ({"field": "channels", "op": "contains_any", "value": "sms"}, "takes a list"),
        ({"all": {}}, "list of filters"),
        ([], "an object"),
    ):
        with pytest.raises(InvalidFilter, match=reason):
            parse_filter(bad)


def test_the_demo_orders_are_skewed_few_customers_most_revenue() -> None:
    customers = [uuid5(NAMESPACE, f"c{n}") for n in range(500)]
    events = generate_orders(customers, seed=42, now=NOW)
    revenue: dict[object, float] = {}
    categories = set()
    for e in events:
        if e.type == "OrderPlaced":
            revenue[e.customer_id] = revenue.get(e.customer_id, 0) + sum(
                float(line.unit_price) * line.quantity
                for line in e.lines  # type: ignore[attr-defined]
            )
            categories |= {line.category for line in e.lines}  # type: ignore[attr-defined]
    ranked = sorted(revenue.values(), reverse=True)
    top_fifth = sum(ranked[: len(ranked) // 5])
    assert top_fifth > 0.5 * sum(ranked)
    assert len(categories) == 6
    assert all(e.occurred_at <= NOW for e in events)
    assert generate_orders(customers, seed=42, now=NOW) == events  # same seed, same orders
