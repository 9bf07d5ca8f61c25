"""The event contract: what the hub records and what downstream systems consume.

Pydantic v2 models, versioned, with no I/O. Every event shares the envelope in
`envelope.py`; each stream has a module of its own. Personal data is named in
each class's `pii_fields`, so the store can encrypt exactly those fields with
the customer's key (DESIGN.md, guarantee 5).
"""

from events.complaints import (
    AgentReplied,
    CaseNumberAssigned,
    ComplaintAssigned,
    ComplaintAwaitingCustomer,
    ComplaintCategorised,
    ComplaintClaimed,
    ComplaintClosed,
    ComplaintEscalated,
    ComplaintOpened,
    ComplaintPrioritised,
    ComplaintReopened,
    ComplaintResolved,
    CustomerReplied,
    Priority,
    SlaBreached,
    SlaTarget,
    SlaWarningRaised,
)
from events.customers import AddressClaimed, ChannelAddressLinked, CustomerRegistered
from events.envelope import ERASED, Event, InboundEvent
from events.ids import (
    address_claim_id,
    case_counter_id,
    case_number,
    complaint_id_for,
    customer_id_for_address,
    provider_event_id,
)
from events.registry import EVENT_TYPES, event_class
from events.sms import SmsReceived, SmsSent, SmsStatus, SmsStatusChanged

__all__ = [
    "ERASED",
    "EVENT_TYPES",
    "AddressClaimed",
    "AgentReplied",
    "CaseNumberAssigned",
    "ChannelAddressLinked",
    "ComplaintAssigned",
    "ComplaintAwaitingCustomer",
    "ComplaintCategorised",
    "ComplaintClaimed",
    "ComplaintClosed",
    "ComplaintEscalated",
    "ComplaintOpened",
    "ComplaintPrioritised",
    "ComplaintReopened",
    "ComplaintResolved",
    "CustomerRegistered",
    "CustomerReplied",
    "Event",
    "InboundEvent",
    "Priority",
    "SlaBreached",
    "SlaTarget",
    "SlaWarningRaised",
    "SmsReceived",
    "SmsSent",
    "SmsStatus",
    "SmsStatusChanged",
    "address_claim_id",
    "case_counter_id",
    "case_number",
    "complaint_id_for",
    "customer_id_for_address",
    "event_class",
    "provider_event_id",
]
