"""The reports' data: rows from the read models into domain/reports.py tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from domain import reports
from domain.reports import Table
from projections.complaints import ComplaintQueues
from projections.customer360 import Customer360
from projections.orders import OrderHistory
from services.app.analytics.valuations import Valuations


@dataclass(frozen=True)
class Reports:
    orders: OrderHistory
    complaints: ComplaintQueues
    customers: Customer360
    valuations: Valuations

    def complaints_by_product(self) -> Table:
        return reports.complaint_rates(
            self.complaints.cases_by_product(), self.orders.orders_by_product()
        )

    def channel_mix(self) -> Table:
        return reports.channel_mix(self.customers.channel_mix())

    def revenue_by_class(self) -> Table:
        return reports.revenue_by_class(self.valuations.snapshot().monthly)

    def named(self) -> dict[str, Callable[[], Table]]:
        return {
            "complaints-by-product": self.complaints_by_product,
            "channel-mix": self.channel_mix,
            "revenue-by-class": self.revenue_by_class,
        }
