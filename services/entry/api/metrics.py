"""Prometheus metrics, one registry per app (so tests can run several apps)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass
class Metrics:
    registry: CollectorRegistry
    webhooks: Counter
    webhook_seconds: Histogram
    recorded_events: Counter
    projector_position: Gauge
    store_position: Gauge
    # Label lookups take a lock and build a tuple; the webhook routes use a few
    # children thousands of times per second, so they are looked up once.
    _children: dict[tuple[str, ...], Any] = field(default_factory=dict)

    def webhook_outcome(self, route: str, outcome: str) -> Any:
        key = ("outcome", route, outcome)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.webhooks.labels(route, outcome)
        return child

    def webhook_time(self, route: str) -> Any:
        key = ("seconds", route)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.webhook_seconds.labels(route)
        return child


def new_metrics() -> Metrics:
    registry = CollectorRegistry()
    return Metrics(
        registry=registry,
        webhooks=Counter(
            "contacthub_webhooks",
            "Provider webhooks by route and outcome",
            ["route", "outcome"],
            registry=registry,
        ),
        webhook_seconds=Histogram(
            "contacthub_webhook_seconds", "Webhook handling time", ["route"], registry=registry
        ),
        recorded_events=Counter(
            "contacthub_recorded_events", "Events appended to the store", registry=registry
        ),
        projector_position=Gauge(
            "contacthub_projector_position",
            "Lowest notification id all views projected",
            registry=registry,
        ),
        store_position=Gauge(
            "contacthub_store_position",
            "Highest notification id in the store",
            registry=registry,
        ),
    )
