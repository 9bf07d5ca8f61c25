"""Deterministic identifiers.

Ids derive from the provider's own ids, so the same provider message always maps
to the same event (exactly-once effect). Ids that stand for a channel address
derive from a keyed hash of it (`address_key`), never from the plain address.
"""

from __future__ import annotations

from functools import lru_cache
from uuid import UUID, uuid5

NAMESPACE = UUID("5b0c6f43-2f8e-4f55-9a0c-6f1f3b2f6a11")


def provider_event_id(provider: str, kind: str, *parts: str) -> UUID:
    """The event id for a provider's message, call, callback or scan."""
    return uuid5(NAMESPACE, "/".join((provider, kind, *parts)))


# The recorder derives the two ids below for every message of a batch (to load
# the owners' keys and to decide), mostly for senders it has seen before.
ADDRESS_ID_CACHE = 65_536


@lru_cache(maxsize=ADDRESS_ID_CACHE)
def address_claim_id(address_key: str) -> UUID:
    """The stream that records which customer owns a channel address."""
    return uuid5(NAMESPACE, f"address-claim/{address_key}")


@lru_cache(maxsize=ADDRESS_ID_CACHE)
def customer_id_for_address(address_key: str, generation: int = 0) -> UUID:
    """The id of the customer first created for an unknown address.

    Deterministic, so two first messages from one new number racing each other
    converge on one customer instead of creating two. `generation` counts the
    address's releases by erasure: a contact after one creates a new customer.
    """
    if generation:
        return uuid5(NAMESPACE, f"customer/{address_key}/{generation}")
    return uuid5(NAMESPACE, f"customer/{address_key}")


def email_interaction_id(message_id: str) -> UUID:
    """The stream of an email we send (its Message-ID is ours, so unique), so a
    reply's In-Reply-To and References point straight at it. Inbound emails
    recorded before `inbound_email_id` existed have such ids too."""
    return provider_event_id("email", "message", message_id)


def inbound_email_id(address_key: str, message_key: str, content_digest: str) -> UUID:
    """The stream of one inbound email.

    Senders reuse Message-IDs and anyone can copy another's, so the sender (by
    its keyed hash) and a digest of the content it wrote count too: the same
    message delivered again maps here, a different one never does.
    """
    return provider_event_id("email", "inbound", address_key, message_key, content_digest)


def email_message_index_id(message_id: str) -> UUID:
    """The stream listing the inbound emails that carry one Message-ID: replies
    name their parent by Message-ID alone, and threading looks it up here."""
    return provider_event_id("email", "message-index", message_id)


def email_subject_stream_id(customer_id: UUID, subject_key: str) -> UUID:
    """The stream of one customer's emails under one normalised subject."""
    return uuid5(NAMESPACE, f"email-subject/{customer_id}/{subject_key}")


def complaint_id_for(trigger_event_id: UUID) -> UUID:
    """The case the rules open for an interaction: one at most, however often it
    is processed."""
    return uuid5(NAMESPACE, f"complaint/{trigger_event_id}")


def case_counter_id(year: int) -> UUID:
    """The stream whose versions are the year's case numbers."""
    return uuid5(NAMESPACE, f"complaint-numbers/{year}")


def case_number(year: int, sequence: int) -> str:
    return f"R-{year}-{sequence:06d}"


def order_stream_id(order_id: str) -> UUID:
    """The stream of one order: from the shop's order id, so resending it finds it."""
    return uuid5(NAMESPACE, f"order/{order_id}")


def survey_id_for_case(complaint_id: UUID) -> UUID:
    """A resolved case's CSAT survey: one per case, whatever runs twice."""
    return uuid5(NAMESPACE, f"survey/case/{complaint_id}")


def nps_survey_id(customer_id: UUID, key: str) -> UUID:
    """An NPS survey of a customer for a campaign (or an idempotency key)."""
    return uuid5(NAMESPACE, f"survey/nps/{key}/{customer_id}")


def campaign_send_id(campaign_id: UUID, customer_id: UUID) -> UUID:
    """The stream of one member's campaign send: looked up before sending, so a
    restart never sends to a member twice."""
    return uuid5(NAMESPACE, f"campaign-send/{campaign_id}/{customer_id}")
