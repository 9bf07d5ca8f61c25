"""The customer 360: profile, addresses, timeline, counts per channel, last contact."""

from projections.customer360.view import Customer360, Customer360Postgres, Customer360SQLite

__all__ = ["Customer360", "Customer360Postgres", "Customer360SQLite"]
