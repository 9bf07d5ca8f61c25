"""Consent per customer and channel, for filtering many customers at once."""

from projections.consent.view import ConsentIndex, ConsentIndexPostgres, ConsentIndexSQLite

__all__ = ["ConsentIndex", "ConsentIndexPostgres", "ConsentIndexSQLite"]
