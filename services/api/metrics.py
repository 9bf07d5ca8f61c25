"""Prometheus metrics, one registry per app (so tests can run several apps)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass
class Metrics:
    registry: CollectorRegistry
    webhooks: Counter
    webhook_seconds: Histogram
    recorded_events: Counter
    projector_position: Gauge
    store_position: Gauge


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
