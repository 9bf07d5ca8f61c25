"""Orders and order lines: buying behaviour, valuation and suggestions read here."""

from projections.orders.view import OrderHistory, OrderHistoryPostgres, OrderHistorySQLite

__all__ = ["OrderHistory", "OrderHistoryPostgres", "OrderHistorySQLite"]
