"""Product suggestions per customer (domain/suggestions.py), with the
co-occurrence table kept until the orders read model moves on."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from uuid import UUID

from domain.suggestions import CoOccurrence, Suggestion, baskets_of, co_occurrence, suggest
from projections.orders import OrderHistory


@dataclass(frozen=True)
class Catalogue:
    baskets: dict[str, frozenset[str]]
    data: CoOccurrence
    names: dict[str, tuple[str, str]]  # sku -> (name, category) as last ordered


class Suggestions:
    def __init__(self, orders: OrderHistory) -> None:
        self.orders = orders
        self._lock = threading.Lock()
        self._cached: tuple[int, Catalogue] | None = None

    def catalogue(self) -> Catalogue:
        position = self.orders.position()
        with self._lock:
            if self._cached is not None and self._cached[0] == position:
                return self._cached[1]
            lines = self.orders.kept_lines()
            baskets = baskets_of(lines)
            names: dict[str, tuple[str, str]] = {}
            for row in sorted(lines, key=lambda r: r["ordered_at"]):
                names[row["sku"]] = (row["name"], row["category"])
            found = Catalogue(baskets, co_occurrence(baskets.values()), names)
            self._cached = (position, found)
            return found

    def for_customer(self, customer_id: UUID, limit: int = 5) -> tuple[Catalogue, list[Suggestion]]:
        catalogue = self.catalogue()
        owned = catalogue.baskets.get(str(customer_id), frozenset())
        ever = frozenset(self.orders.skus_ever_ordered(customer_id))
        return catalogue, suggest(owned, catalogue.data, limit, exclude=ever)
