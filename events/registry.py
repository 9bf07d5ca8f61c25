"""Every event type by name: the store's topics and the schema export use it."""

from __future__ import annotations

from events.appointments import (
    AppointmentCancelled,
    AppointmentReminderSent,
    AppointmentReminderSkipped,
    AppointmentRescheduled,
    AppointmentScheduled,
)
from events.campaigns import (
    CampaignCreated,
    CampaignFinished,
    CampaignSendRecorded,
    CampaignStarted,
)
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
    ComplaintShared,
    ComplaintUnshared,
    CustomerReplied,
    SlaBreached,
    SlaWarningRaised,
)
from events.consent import ConsentChanged
from events.customers import (
    AddressClaimed,
    AddressReleased,
    ChannelAddressLinked,
    CustomerErased,
    CustomerRegistered,
)
from events.email import (
    EmailDeliveryChanged,
    EmailMessageIndexed,
    EmailReceived,
    EmailSent,
    EmailThreaded,
)
from events.envelope import Event
from events.knowledge import KnowledgeArticleRated, KnowledgeArticleWritten
from events.letters import LetterReceived, LetterSent, LetterStatusChanged, PostalAddressSet
from events.merges import CustomersMerged, CustomersUnmerged
from events.opportunities import OpportunityOpened, OpportunityStageChanged, ProspectMarked
from events.orders import OrderPlaced, OrderReturned
from events.satisfaction import SurveyAnswered, SurveySent, SurveySkipped
from events.sms import SmsReceived, SmsSent, SmsStatusChanged
from events.voice import (
    CallNoteRecorded,
    CallPlaced,
    CallReceived,
    CallStatusChanged,
    RecordingAttached,
    TranscriptAttached,
)

EVENT_TYPES: dict[str, type[Event]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        CustomerRegistered,
        ChannelAddressLinked,
        AddressClaimed,
        CustomerErased,
        AddressReleased,
        SmsReceived,
        SmsSent,
        SmsStatusChanged,
        CallReceived,
        CallPlaced,
        CallStatusChanged,
        RecordingAttached,
        TranscriptAttached,
        CallNoteRecorded,
        PostalAddressSet,
        LetterSent,
        LetterStatusChanged,
        LetterReceived,
        ConsentChanged,
        CustomersMerged,
        CustomersUnmerged,
        EmailReceived,
        EmailSent,
        EmailDeliveryChanged,
        EmailThreaded,
        EmailMessageIndexed,
        CaseNumberAssigned,
        ComplaintOpened,
        ComplaintCategorised,
        ComplaintPrioritised,
        ComplaintAssigned,
        ComplaintClaimed,
        CustomerReplied,
        AgentReplied,
        ComplaintAwaitingCustomer,
        ComplaintEscalated,
        ComplaintResolved,
        ComplaintReopened,
        ComplaintClosed,
        ComplaintShared,
        ComplaintUnshared,
        SlaWarningRaised,
        SlaBreached,
        ProspectMarked,
        OpportunityOpened,
        OpportunityStageChanged,
        AppointmentScheduled,
        AppointmentRescheduled,
        AppointmentCancelled,
        AppointmentReminderSent,
        AppointmentReminderSkipped,
        KnowledgeArticleWritten,
        KnowledgeArticleRated,
        OrderPlaced,
        OrderReturned,
        SurveySent,
        SurveySkipped,
        SurveyAnswered,
        CampaignCreated,
        CampaignStarted,
        CampaignSendRecorded,
        CampaignFinished,
    )
}


def event_class(type_name: str) -> type[Event]:
    """The class for a stored or published type name; KeyError names the unknown type."""
    try:
        return EVENT_TYPES[type_name]
    except KeyError:
        raise KeyError(f"unknown event type {type_name!r}") from None
