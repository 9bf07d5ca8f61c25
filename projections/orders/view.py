"""Orders and their lines as rows: the source of buying behaviour, valuation
(ABC, RFM, churn) and suggestions. Rebuildable from the order streams alone.

Money in cents (integers). `ordered_at` is stored in UTC ISO 8601, so text
order is time order on both databases.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from domain.buying import Behaviour, LineFacts, OrderFacts, behaviour
from events import Event, OrderPlaced, OrderReturned
from projections.sql import Cursor, Sql
from projections.view import SqlView

_ORDER_COLUMNS = (
    ("order_id", "text"),
    ("customer_id", "text"),
    ("ordered_at", "text"),
    ("currency", "text"),
    ("gross_cents", "bigint"),
    ("refund_cents", "bigint"),
    ("items", "bigint"),
    ("kept_items", "bigint"),
)
_LINE_COLUMNS = (
    ("order_id", "text"),
    ("sku", "text"),
    ("customer_id", "text"),
    ("ordered_at", "text"),
    ("name", "text"),
    ("category", "text"),
    ("quantity", "bigint"),
    ("returned", "bigint"),
    ("unit_cents", "bigint"),
)
_RETURN_LINE = (
    "UPDATE order_lines SET returned = returned + %(quantity)s"
    " WHERE order_id = %(order_id)s AND sku = %(sku)s"
)
_RETURN_ORDER = (
    "UPDATE order_orders SET refund_cents = refund_cents + %(refund)s,"
    " kept_items = kept_items - %(items)s WHERE order_id = %(order_id)s"
)


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def utc_text(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


class OrderHistory(SqlView):
    name = "orders"
    tables: ClassVar[dict[str, str]] = {
        "order_orders": "order_id",
        "order_lines": "order_id, sku",
    }
    create_statements = (
        "CREATE TABLE IF NOT EXISTS order_orders ("
        " order_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, ordered_at TEXT NOT NULL,"
        " currency TEXT NOT NULL, gross_cents BIGINT NOT NULL, refund_cents BIGINT NOT NULL,"
        " items BIGINT NOT NULL, kept_items BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS order_lines ("
        " order_id TEXT NOT NULL, sku TEXT NOT NULL, customer_id TEXT NOT NULL,"
        " ordered_at TEXT NOT NULL, name TEXT NOT NULL, category TEXT NOT NULL,"
        " quantity BIGINT NOT NULL, returned BIGINT NOT NULL, unit_cents BIGINT NOT NULL,"
        " PRIMARY KEY (order_id, sku))",
        "CREATE INDEX IF NOT EXISTS order_orders_customer"
        " ON order_orders (customer_id, ordered_at)",
        "CREATE INDEX IF NOT EXISTS order_orders_time ON order_orders (ordered_at)",
        "CREATE INDEX IF NOT EXISTS order_lines_customer ON order_lines (customer_id)",
        "CREATE INDEX IF NOT EXISTS order_lines_sku ON order_lines (sku)",
    )

    def apply(self, cursor: Cursor, events: Sequence[Event]) -> None:
        # Every order of the batch first, then its returns in log order: a
        # return always follows its order in the log, maybe in the same batch.
        orders: list[dict[str, Any]] = []
        lines: list[dict[str, Any]] = []
        returns: list[OrderReturned] = []
        for e in events:
            if isinstance(e, OrderPlaced):
                at = utc_text(e.occurred_at)
                items = sum(line.quantity for line in e.lines)
                orders.append(
                    {
                        "order_id": e.order_id,
                        "customer_id": str(e.customer_id),
                        "ordered_at": at,
                        "currency": e.currency,
                        "gross_cents": sum(cents(ln.unit_price) * ln.quantity for ln in e.lines),
                        "refund_cents": 0,
                        "items": items,
                        "kept_items": items,
                    }
                )
                lines += [
                    {
                        "order_id": e.order_id,
                        "sku": ln.sku,
                        "customer_id": str(e.customer_id),
                        "ordered_at": at,
                        "name": ln.name,
                        "category": ln.category,
                        "quantity": ln.quantity,
                        "returned": 0,
                        "unit_cents": cents(ln.unit_price),
                    }
                    for ln in e.lines
                ]
            elif isinstance(e, OrderReturned):
                returns.append(e)
        self.db.insert_rows(cursor, "order_orders", _ORDER_COLUMNS, orders)
        self.db.insert_rows(cursor, "order_lines", _LINE_COLUMNS, lines)
        for r in returns:
            self.db.run_many(
                cursor,
                _RETURN_LINE,
                [
                    {"order_id": r.order_id, "sku": ln.sku, "quantity": ln.quantity}
                    for ln in r.lines
                ],
            )
            self.db.run(
                cursor,
                _RETURN_ORDER,
                {
                    "order_id": r.order_id,
                    "refund": cents(r.refund),
                    "items": sum(ln.quantity for ln in r.lines),
                },
            )

    # Reads ---------------------------------------------------------------------

    def order(self, order_id: str) -> dict[str, Any] | None:
        rows = self.db.query("SELECT * FROM order_orders WHERE order_id = %(id)s", {"id": order_id})
        return rows[0] if rows else None

    def behaviour_of(self, customer_id: UUID) -> Behaviour:
        params = {"id": str(customer_id)}
        orders = self.db.query(
            "SELECT order_id, ordered_at, gross_cents - refund_cents AS net_cents, kept_items"
            " FROM order_orders WHERE customer_id = %(id)s",
            params,
        )
        lines = self.db.query(
            "SELECT sku, name, category, quantity - returned AS kept,"
            " (quantity - returned) * unit_cents AS kept_cents"
            " FROM order_lines WHERE customer_id = %(id)s",
            params,
        )
        return behaviour(
            [
                OrderFacts(
                    o["order_id"],
                    datetime.fromisoformat(o["ordered_at"]),
                    int(o["net_cents"]),
                    int(o["kept_items"]),
                )
                for o in orders
            ],
            [
                LineFacts(
                    ln["sku"], ln["name"], ln["category"], int(ln["kept"]), int(ln["kept_cents"])
                )
                for ln in lines
            ],
        )

    def orders_by_product(self) -> list[dict[str, Any]]:
        """(sku, name, orders containing it), for complaint rates per product."""
        return self.db.query(
            "SELECT sku, MAX(name) AS name, COUNT(*) AS orders FROM order_lines"
            " GROUP BY sku ORDER BY sku"
        )

    def skus_ever_ordered(self, customer_id: UUID) -> list[str]:
        """Every product the customer ordered, kept or returned."""
        rows = self.db.query(
            "SELECT DISTINCT sku FROM order_lines WHERE customer_id = %(id)s",
            {"id": str(customer_id)},
        )
        return [r["sku"] for r in rows]

    def customer_totals(self, since: str, until: str) -> list[dict[str, Any]]:
        """Per customer with an order in [since, until): net revenue (cents), orders
        that count (something kept) and the last such order, the valuations' input."""
        return self.db.query(
            "SELECT customer_id, SUM(gross_cents - refund_cents) AS revenue_cents,"
            " SUM(CASE WHEN kept_items > 0 THEN 1 ELSE 0 END) AS orders,"
            " MAX(CASE WHEN kept_items > 0 THEN ordered_at END) AS last_order_at,"
            " MIN(CASE WHEN kept_items > 0 THEN ordered_at END) AS first_order_at"
            " FROM order_orders WHERE ordered_at >= %(since)s AND ordered_at < %(until)s"
            " GROUP BY customer_id ORDER BY customer_id",
            {"since": since, "until": until},
        )

    def monthly_revenue(self, since: str, until: str) -> list[dict[str, Any]]:
        """(customer, month 'YYYY-MM' in UTC, net revenue cents) of orders in [since, until)."""
        return self.db.query(
            "SELECT customer_id, substr(ordered_at, 1, 7) AS month,"
            " SUM(gross_cents - refund_cents) AS revenue_cents FROM order_orders"
            " WHERE ordered_at >= %(since)s AND ordered_at < %(until)s"
            " GROUP BY customer_id, substr(ordered_at, 1, 7) ORDER BY customer_id, month",
            {"since": since, "until": until},
        )

    def order_times(self, until: str) -> dict[str, list[str]]:
        """Every customer's counted order times before `until`, oldest first (for
        churn rhythms)."""
        found: dict[str, list[str]] = {}
        for row in self.db.query(
            "SELECT customer_id, ordered_at FROM order_orders"
            " WHERE kept_items > 0 AND ordered_at < %(until)s ORDER BY customer_id, ordered_at",
            {"until": until},
        ):
            found.setdefault(row["customer_id"], []).append(row["ordered_at"])
        return found

    def kept_lines(self) -> list[dict[str, Any]]:
        """(customer, sku, name, category, kept quantity, kept cents) of every line kept."""
        return self.db.query(
            "SELECT customer_id, sku, name, category, quantity - returned AS kept,"
            " (quantity - returned) * unit_cents AS kept_cents, ordered_at"
            " FROM order_lines WHERE quantity > returned ORDER BY customer_id, sku"
        )


class OrderHistorySQLite(OrderHistory, SQLiteTrackingRecorder):
    def __init__(self, datastore: SQLiteDatastore, *, db: Sql, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.db = db


class OrderHistoryPostgres(OrderHistory, PostgresTrackingRecorder):
    def __init__(self, datastore: PostgresDatastore, *, db: Sql, **kwargs: Any) -> None:
        kwargs.setdefault("tracking_table_name", "view_tracking")
        super().__init__(datastore, **kwargs)
        self.db = db
