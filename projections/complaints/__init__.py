"""Complaint queues (per team and priority, with SLA state) and the intake's case index."""

from projections.complaints.index import (
    CustomerCaseIndex,
    CustomerCaseIndexPostgres,
    CustomerCaseIndexSQLite,
)
from projections.complaints.view import (
    CaseFilter,
    ComplaintQueues,
    ComplaintQueuesPostgres,
    ComplaintQueuesSQLite,
)

__all__ = [
    "CaseFilter",
    "ComplaintQueues",
    "ComplaintQueuesPostgres",
    "ComplaintQueuesSQLite",
    "CustomerCaseIndex",
    "CustomerCaseIndexPostgres",
    "CustomerCaseIndexSQLite",
]
