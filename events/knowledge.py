"""The knowledge base (the CRM's wiki): one stream per article; every edit is a
new version of the whole article, so the history of each answer is kept.

Articles are company knowledge, not a customer's data: they carry no
customer_id and no personal-data fields.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from events.envelope import Event


class KnowledgeArticleWritten(Event):
    """A version of an article: the first (`revision` 1) or an edit."""

    type: Literal["KnowledgeArticleWritten"] = "KnowledgeArticleWritten"
    revision: int = Field(ge=1, description="The article's version this event makes.")
    title: str
    body_markdown: str
    language: str = Field(pattern=r"^[a-z]{2}$")
    tags: tuple[str, ...] = ()
    owner: str
    by: str


class KnowledgeArticleRated(Event):
    """An agent said whether the article helped (on a case, if given)."""

    type: Literal["KnowledgeArticleRated"] = "KnowledgeArticleRated"
    helpful: bool
    by: str
    complaint_id: str | None = None
