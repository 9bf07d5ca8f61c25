"""Admin API for partner organisations: create and list them, their webhook
subscriptions, and their dead letters (with replay).

Admins change; admins and auditors read (403 for everyone else, partners
included). A subscription's secret is shown once, in the answer that made it.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Path, status

from services.entry.api import partner_schemas as schemas
from services.entry.api.deps import HubDep
from services.entry.api.routes.access_log import AuditorDep
from services.entry.api.routes.users import AdminDep
from services.infra.auth import NAME_PATTERN
from services.wiring.hub import now_of

router = APIRouter(prefix="/api/v1", tags=["partners"])

Org = Annotated[str, Path(pattern=NAME_PATTERN)]
FORBIDDEN: dict[int | str, dict[str, str]] = {403: {"description": "Not allowed for this role"}}
NOT_FOUND: dict[int | str, dict[str, str]] = {
    **FORBIDDEN,
    404: {"description": "No such partner (or dead letter)"},
}


@router.post(
    "/partners",
    summary="Create a partner organisation with its sites (admins)",
    status_code=status.HTTP_201_CREATED,
    responses={**FORBIDDEN, 409: {"description": "A partner of this name exists"}},
)
async def create_partner(hub: HubDep, _: AdminDep, body: schemas.NewPartner) -> schemas.PartnerView:
    partner = await anyio.to_thread.run_sync(hub.partners.create, body.name, body.sites)
    return schemas.PartnerView.of(partner)


@router.get("/partners", summary="Every partner organisation", responses=FORBIDDEN)
async def list_partners(hub: HubDep, _: AuditorDep) -> schemas.PartnerList:
    partners = await anyio.to_thread.run_sync(hub.partners.all)
    return schemas.PartnerList(items=[schemas.PartnerView.of(p) for p in partners])


@router.post(
    "/partners/{org}/webhooks",
    summary="Subscribe a partner's URL to event types (admins); the secret is shown once",
    status_code=status.HTTP_201_CREATED,
    responses=NOT_FOUND,
)
async def create_webhook(
    hub: HubDep, _: AdminDep, org: Org, body: schemas.NewWebhook
) -> schemas.WebhookCreated:
    webhook = await anyio.to_thread.run_sync(
        lambda: hub.partners.subscribe(org, str(body.url), body.event_types, body.secret)
    )
    if hub.built("partner_webhooks"):
        hub.partner_webhooks.wake()
    return schemas.WebhookCreated(
        **schemas.WebhookView.of(webhook).model_dump(), secret=webhook.secret
    )


@router.get(
    "/partners/{org}/webhooks", summary="A partner's webhook subscriptions", responses=NOT_FOUND
)
async def list_webhooks(hub: HubDep, _: AuditorDep, org: Org) -> schemas.WebhookList:
    def run() -> schemas.WebhookList:
        hub.partners.require(org)
        return schemas.WebhookList(
            items=[schemas.WebhookView.of(w) for w in hub.partners.webhooks(org)]
        )

    return await anyio.to_thread.run_sync(run)


@router.get(
    "/partners/{org}/dead-letters",
    summary="Deliveries to the partner that ran out of attempts",
    responses=NOT_FOUND,
)
async def dead_letters(hub: HubDep, _: AuditorDep, org: Org) -> schemas.DeadLetterList:
    def run() -> schemas.DeadLetterList:
        hub.partners.require(org)
        dead = hub.partner_outbox.of_partner(org, "dead")
        return schemas.DeadLetterList(items=[schemas.DeadLetter.of(d) for d in dead])

    return await anyio.to_thread.run_sync(run)


@router.post(
    "/partners/{org}/dead-letters/{delivery_id}/replay",
    summary="Deliver a dead letter again, with fresh attempts (admins)",
    responses=NOT_FOUND,
)
async def replay_dead_letter(
    hub: HubDep, _: AdminDep, org: Org, delivery_id: UUID
) -> schemas.DeadLetter:
    def run() -> schemas.DeadLetter:
        hub.partners.require(org)
        return schemas.DeadLetter.of(hub.partner_outbox.replay(org, delivery_id, now_of(hub)))

    shown = await anyio.to_thread.run_sync(run)
    if hub.built("partner_webhooks"):
        hub.partner_webhooks.wake()
    return shown
