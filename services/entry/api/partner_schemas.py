"""Request and response bodies of the partner routes (docs/partners.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, JsonValue, field_validator

from events import EVENT_TYPES
from services.infra.auth import NAME_PATTERN
from services.infra.partner_deliveries import Delivery
from services.infra.partners import Partner, Webhook

# A site is matched exactly against appointments' locations: printable text, no control characters.
Site = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]


class NewPartner(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN, description="What its tokens are bound to.")
    sites: list[Site] = Field(
        default=[],
        max_length=100,
        description="Its sites: appointments whose `location` is one of them are shared with it.",
    )


class PartnerView(BaseModel):
    name: str
    sites: list[str]
    created_at: datetime

    @classmethod
    def of(cls, partner: Partner) -> PartnerView:
        return cls(name=partner.name, sites=list(partner.sites), created_at=partner.created_at)


class PartnerList(BaseModel):
    items: list[PartnerView]


class Share(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partner: str = Field(pattern=NAME_PATTERN, description="The partner organisation.")


class Sharing(BaseModel):
    complaint_id: UUID
    partners: list[str] = Field(description="Every partner the case is now shared with.")


class NewWebhook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl = Field(description="Where the signed POSTs go.")
    event_types: list[str] = Field(
        min_length=1,
        max_length=100,
        description="Event type names, e.g. `ComplaintResolved`.",
        # The names in the document too, so clients (and schemathesis) know them.
        json_schema_extra={
            "items": {"type": "string", "enum": list[JsonValue](sorted(EVENT_TYPES))}
        },
    )
    secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",  # printable ASCII: the same bytes in every receiver's language
        description="The signing secret; generated (and shown once) if not given.",
    )

    @field_validator("event_types")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in EVENT_TYPES]
        if unknown:
            raise ValueError(f"unknown event types: {', '.join(unknown)}")
        return value


class WebhookView(BaseModel):
    id: UUID
    partner: str
    url: str
    event_types: list[str]
    created_at: datetime

    @classmethod
    def of(cls, webhook: Webhook) -> WebhookView:
        return cls(
            id=webhook.id,
            partner=webhook.partner,
            url=webhook.url,
            event_types=list(webhook.event_types),
            created_at=webhook.created_at,
        )


class WebhookCreated(WebhookView):
    secret: str = Field(description="The signing secret: shown here once, never again.")


class WebhookList(BaseModel):
    items: list[WebhookView]


class DeadLetter(BaseModel):
    id: UUID = Field(description="The delivery id (`X-Contacthub-Delivery`).")
    webhook_id: UUID
    event_id: UUID
    event_type: str
    status: Literal["pending", "delivered", "dead"]
    attempts: int
    last_error: str | None
    created_at: datetime

    @classmethod
    def of(cls, delivery: Delivery) -> DeadLetter:
        return cls(
            id=delivery.id,
            webhook_id=delivery.webhook_id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            status=delivery.status,
            attempts=delivery.attempts,
            last_error=delivery.last_error,
            created_at=delivery.created_at,
        )


class DeadLetterList(BaseModel):
    items: list[DeadLetter] = Field(description="Oldest first.")
