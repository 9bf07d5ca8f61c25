"""The knowledge base: write and edit articles (each edit a version), search
them by their words, rate them, and the articles suggested for a case."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4, uuid5

import anyio.to_thread
from fastapi import APIRouter, Header, Query, Response, status

from domain.knowledge import ArticleNotFound, Draft, terms
from services.entry.api import operative_schemas as schemas
from services.entry.api.bounds import SQL_INT_MAX
from services.entry.api.deps import ActorDep, HubDep, PrincipalDep
from services.entry.api.read_your_writes import settled_row
from services.wiring.hub import Hub

router = APIRouter(prefix="/api/v1", tags=["knowledge"])

NOT_FOUND: dict[int | str, dict[str, str]] = {404: {"description": "No such article"}}
KNOWLEDGE_NAMESPACE = UUID("0f6b8f8e-8f6e-4a43-9d5e-6b0c1d9a2e41")


def shown(hub: Hub, article_id: UUID, notification_id: int) -> schemas.Article:
    row = settled_row(hub, notification_id, lambda: hub.views.knowledge.get(article_id))
    return schemas.article_from_row(row)


def draft_of(body: schemas.ArticleDraft, owner: str) -> Draft:
    return Draft(body.title, body.body_markdown, body.language, tuple(body.tags), owner)


@router.post(
    "/knowledge",
    summary="Write a knowledge article (Markdown)",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "Written before under this Idempotency-Key"}},
)
async def write_article(
    hub: HubDep,
    actor: ActorDep,
    body: schemas.ArticleDraft,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> schemas.Article:
    article_id = uuid5(KNOWLEDGE_NAMESPACE, idempotency_key) if idempotency_key else uuid4()

    def run() -> schemas.Article:
        if idempotency_key and hub.store.exists(article_id):
            response.status_code = status.HTTP_200_OK
            return shown(hub, article_id, hub.store.max_notification_id())
        _, notification = hub.knowledge.write(
            article_id,
            draft_of(body, body.owner or actor.name),
            by=actor.name,
            base_revision=None,
            must_exist=False,
        )
        return shown(hub, article_id, notification)

    return await anyio.to_thread.run_sync(run)


@router.get("/knowledge", summary="Search articles by words of their text, tag and language")
async def search_articles(
    hub: HubDep,
    _: PrincipalDep,
    q: Annotated[str | None, Query(max_length=500, description="Words, all must occur")] = None,
    tag: Annotated[str | None, Query(pattern=schemas.TAG)] = None,
    language: Annotated[str | None, Query(pattern=r"^[a-z]{2}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=SQL_INT_MAX)] = 0,
) -> schemas.ArticleList:
    words = terms(q or "")
    rows = await anyio.to_thread.run_sync(
        lambda: hub.views.knowledge.search(
            words, language=language, tag=tag, limit=limit, offset=offset
        )
    )
    return schemas.ArticleList(items=[schemas.article_from_row(r) for r in rows])


@router.get("/knowledge/{article_id}", summary="One article", responses=NOT_FOUND)
async def get_article(hub: HubDep, _: PrincipalDep, article_id: UUID) -> schemas.Article:
    row = await anyio.to_thread.run_sync(hub.views.knowledge.get, article_id)
    if row is None:
        raise ArticleNotFound(f"no article {article_id}")
    return schemas.article_from_row(row)


@router.put(
    "/knowledge/{article_id}",
    summary="Edit an article: a new version (the old ones stay in its history)",
    responses={**NOT_FOUND, 409: {"description": "Edited meanwhile (base_revision is old)"}},
)
async def edit_article(
    hub: HubDep, actor: ActorDep, article_id: UUID, body: schemas.ArticleEdit
) -> schemas.Article:
    def run() -> schemas.Article:
        current = hub.views.knowledge.get(article_id)
        owner = body.owner or (current["owner"] if current else actor.name)
        _, notification = hub.knowledge.write(
            article_id,
            draft_of(body, owner),
            by=actor.name,
            base_revision=body.base_revision,
            must_exist=True,
        )
        return shown(hub, article_id, notification)

    return await anyio.to_thread.run_sync(run)


@router.post(
    "/knowledge/{article_id}/rating",
    summary="Was this article helpful? (counted on the article)",
    responses=NOT_FOUND,
)
async def rate_article(
    hub: HubDep, actor: ActorDep, article_id: UUID, body: schemas.Rating
) -> schemas.Article:
    def run() -> schemas.Article:
        notification = hub.knowledge.rate(
            article_id, helpful=body.helpful, by=actor.name, complaint_id=body.complaint_id
        )
        return shown(hub, article_id, notification)

    return await anyio.to_thread.run_sync(run)


@router.get(
    "/complaints/{complaint_id}/knowledge",
    summary="Articles suggested for a case, by the words of its subject and messages",
    responses={404: {"description": "No such complaint"}},
)
async def suggested_articles(
    hub: HubDep,
    _: PrincipalDep,
    complaint_id: UUID,
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> schemas.Suggestions:
    found = await anyio.to_thread.run_sync(hub.knowledge.suggestions, complaint_id, limit)
    return schemas.Suggestions(
        items=[
            schemas.SuggestedArticle(
                **schemas.article_from_row(row).model_dump(),
                score=suggestion.score,
                matched=list(suggestion.matched),
            )
            for suggestion, row in found
        ]
    )
