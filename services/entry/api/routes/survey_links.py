"""The one-click rating links of survey emails: `GET /survey/{token}?score=N`.

No bearer token: the link's signature over survey, score and expiry is the
authentication (`domain/satisfaction.py`). A changed score, survey or expiry is
403 and records nothing; a genuine link past its expiry is 410; a second click
records nothing and shows the first answer. The answer is recorded before the
page is answered, so an acknowledged rating is never lost. Answers are small
HTML pages, since a person opens them from their mail program.
"""

from __future__ import annotations

from html import escape
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Path, Query, status
from fastapi.responses import HTMLResponse

from domain.satisfaction import PATH, ExpiredLink, ForgedLink
from services.app.satisfaction.answers import SurveyNotFound
from services.entry.api.deps import HubDep

router = APIRouter(tags=["webhooks"])


def page(status_code: int, title: str, text: str) -> HTMLResponse:
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head><body>"
        f"<h1>{escape(title)}</h1><p>{escape(text)}</p></body></html>"
    )
    return HTMLResponse(body, status_code=status_code)


@router.get(
    PATH + "/{token}",
    summary="Record a survey rating from a signed one-click link (the link is the authentication)",
    response_class=HTMLResponse,
    responses={
        200: {"content": {"text/html": {}}, "description": "Thanks: the rating is recorded"},
        403: {"content": {"text/html": {}}, "description": "The link was changed or forged"},
        404: {"content": {"text/html": {}}, "description": "No such survey"},
        410: {"content": {"text/html": {}}, "description": "The survey has closed"},
    },
)
async def rate(
    hub: HubDep,
    token: Annotated[str, Path(max_length=200)],
    score: Annotated[str, Query(max_length=4, description="The rating the link stands for.")],
) -> HTMLResponse:
    if not score.isdigit():
        return page(status.HTTP_403_FORBIDDEN, "Invalid link", "This rating link is not valid.")

    def run() -> tuple[int, bool]:
        _, recorded, new = hub.survey_answers.answer_by_link(token, int(score))
        return recorded, new

    try:
        recorded, new = await anyio.to_thread.run_sync(run)
    except ForgedLink:
        return page(status.HTTP_403_FORBIDDEN, "Invalid link", "This rating link is not valid.")
    except ExpiredLink:
        return page(status.HTTP_410_GONE, "Survey closed", "This survey no longer takes answers.")
    except SurveyNotFound:
        return page(status.HTTP_404_NOT_FOUND, "Unknown survey", "We do not know this survey.")
    if new:
        return page(status.HTTP_200_OK, "Thank you", f"Your rating of {recorded} is recorded.")
    return page(
        status.HTTP_200_OK, "Thank you", f"We already have your rating of {recorded}. Thanks!"
    )
