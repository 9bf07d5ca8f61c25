"""The identity index: which customer owns which channel address."""

from projections.identity.view import IdentityIndex, IdentityIndexPostgres, IdentityIndexSQLite

__all__ = ["IdentityIndex", "IdentityIndexPostgres", "IdentityIndexSQLite"]
