"""The event contract: what the hub records and what downstream systems consume.

Pydantic v2 models, versioned, with no I/O. Every event shares the envelope in
`envelope.py`; each stream has a module of its own. Personal data is named in
each class's `pii_fields`, so the store can encrypt exactly those fields with
the customer's key: an erasure destroys the key, and the history stays whole.
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
from events.consent import ConsentChanged
from events.customers import AddressClaimed, ChannelAddressLinked, CustomerRegistered
from events.email import (
    EmailAttachment,
    EmailDeliveryChanged,
    EmailMessageIndexed,
    EmailReceived,
    EmailSent,
    EmailStatus,
    EmailThreaded,
)
from events.envelope import ERASED, Event, InboundEvent
from events.ids import (
    address_claim_id,
    case_counter_id,
    case_number,
    complaint_id_for,
    customer_id_for_address,
    email_interaction_id,
    email_message_index_id,
    email_subject_stream_id,
    inbound_email_id,
    order_stream_id,
    provider_event_id,
)
from events.letters import (
    LetterReceived,
    LetterSent,
    LetterStatus,
    LetterStatusChanged,
    PostalAddressSet,
)
from events.orders import OrderLine, OrderPlaced, OrderReturned, ReturnedLine
from events.registry import EVENT_TYPES, event_class
from events.sms import SmsReceived, SmsSent, SmsStatus, SmsStatusChanged
from events.voice import (
    CallNoteRecorded,
    CallPlaced,
    CallReceived,
    CallStatus,
    CallStatusChanged,
    RecordingAttached,
    TranscriptAttached,
)

__all__ = [
    "ERASED",
    "EVENT_TYPES",
    "AddressClaimed",
    "AgentReplied",
    "CallNoteRecorded",
    "CallPlaced",
    "CallReceived",
    "CallStatus",
    "CallStatusChanged",
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
    "ConsentChanged",
    "CustomerRegistered",
    "CustomerReplied",
    "EmailAttachment",
    "EmailDeliveryChanged",
    "EmailMessageIndexed",
    "EmailReceived",
    "EmailSent",
    "EmailStatus",
    "EmailThreaded",
    "Event",
    "InboundEvent",
    "LetterReceived",
    "LetterSent",
    "LetterStatus",
    "LetterStatusChanged",
    "OrderLine",
    "OrderPlaced",
    "OrderReturned",
    "PostalAddressSet",
    "Priority",
    "RecordingAttached",
    "ReturnedLine",
    "SlaBreached",
    "SlaTarget",
    "SlaWarningRaised",
    "SmsReceived",
    "SmsSent",
    "SmsStatus",
    "SmsStatusChanged",
    "TranscriptAttached",
    "address_claim_id",
    "case_counter_id",
    "case_number",
    "complaint_id_for",
    "customer_id_for_address",
    "email_interaction_id",
    "email_message_index_id",
    "email_subject_stream_id",
    "event_class",
    "inbound_email_id",
    "order_stream_id",
    "provider_event_id",
]
