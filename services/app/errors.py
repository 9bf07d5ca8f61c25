"""Why a use case refuses a command; the API maps each to its HTTP status once
(services/entry/api/errors.py), so routes do not catch them one by one."""

from __future__ import annotations


class CommandRefused(ValueError):
    """The command cannot be carried out as asked; the message says why (409/422)."""


class CustomerNotFound(LookupError):
    """No customer has this id (404)."""
