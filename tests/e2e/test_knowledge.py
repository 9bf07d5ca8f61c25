"""The knowledge base over HTTP on SQLite and PostgreSQL: an article is found by
a word of its text (accents and case folded), edits are versions in its
history with a stale edit refused, "was this helpful" is counted, and a case
whose text matches gets the article suggested."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx

from events import KnowledgeArticleWritten
from services.wiring.hub import Hub
from tests.support.complaints import customer_id_of, customer_writes

PHONE = "+4917612345678"


def write(api: Any, **body: Any) -> dict[str, Any]:
    response = api.post("/knowledge", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def titles(api: Any, **params: Any) -> list[str]:
    response = api.get("/knowledge", params=params)
    assert response.status_code == 200, response.text
    return [a["title"] for a in response.json()["items"]]


def test_an_article_is_found_by_a_word_and_suggested_for_a_matching_case(
    hub: Hub, client: httpx.Client, base_url: str, api: Any
) -> None:
    pump = write(
        api,
        title="Waschmaschine pumpt nicht ab",
        body_markdown="# Abhilfe\n\nDas **Flusensieb** der Laugenpumpe reinigen, dann neu starten.",
        tags=["waschmaschine", "pumpe"],
    )
    write(
        api,
        title="Rechnung als PDF",
        body_markdown="Die Rechnung steht im Kundenkonto zum Download.",
        language="de",
        tags=["rechnung"],
    )
    write(api, title="Invoice copy", body_markdown="Download it from your account.", language="en")
    assert (pump["revision"], pump["owner"], pump["tags"]) == (
        1,
        "agent.test",
        ["pumpe", "waschmaschine"],
    )

    assert titles(api, q="flusensieb") == ["Waschmaschine pumpt nicht ab"]
    assert titles(api, q="FLUSENSIEB laugenpumpe") == ["Waschmaschine pumpt nicht ab"]
    assert titles(api, q="flusensieb rechnung") == []  # every word must occur
    assert titles(api, q="download", language="en") == ["Invoice copy"]
    assert titles(api, tag="rechnung") == ["Rechnung als PDF"]

    # An edit is a new version; one based on an old revision is refused.
    path = f"/knowledge/{pump['article_id']}"
    edit = {
        "title": "Waschmaschine pumpt nicht ab",
        "body_markdown": "Erst das Flusensieb prüfen, dann den Ablaufschlauch.",
        "tags": ["waschmaschine"],
        "base_revision": 1,
    }
    edited = api.put(path, json=edit)
    assert edited.status_code == 200, edited.text
    assert edited.json()["revision"] == 2
    stale = api.put(path, json=edit)
    assert stale.status_code == 409
    history = [
        e
        for e in hub.store.stream(UUID(pump["article_id"]))
        if isinstance(e, KnowledgeArticleWritten)
    ]
    assert [e.revision for e in history] == [1, 2]
    assert titles(api, q="ablaufschlauch") == ["Waschmaschine pumpt nicht ab"]
    assert titles(api, q="laugenpumpe") == []  # the old version's words are gone

    # A customer's message about a pump that does not drain: a case suggests the article.
    customer_writes(client, base_url, 1, PHONE, "Meine Waschmaschine pumpt das Wasser nicht ab")
    customer_id = customer_id_of(api, PHONE)
    case = api.post(
        "/complaints", json={"customer_id": customer_id, "subject": "Waschmaschine pumpt nicht"}
    )
    assert case.status_code == 201, case.text
    suggested = api.get(f"/complaints/{case.json()['complaint_id']}/knowledge").json()["items"]
    assert [s["title"] for s in suggested] == ["Waschmaschine pumpt nicht ab"]
    assert {"waschmaschine", "pumpt"} <= set(suggested[0]["matched"])

    # Was this helpful? Counted on the article.
    for helpful in (True, True, False):
        rated = api.post(
            f"{path}/rating", json={"helpful": helpful, "complaint_id": case.json()["complaint_id"]}
        )
        assert rated.status_code == 200, rated.text
    article = api.get(path).json()
    assert (article["helpful"], article["unhelpful"]) == (2, 1)


def test_bad_knowledge_requests_are_refused_and_change_nothing(hub: Hub, api: Any) -> None:
    before = hub.store.max_notification_id()
    for bad in (
        {"title": "", "body_markdown": "x"},
        {"title": "x", "body_markdown": "   "},
        {"title": "x", "body_markdown": "y", "language": "deu"},
        {"title": "x", "body_markdown": "y", "tags": ["Not A Tag"]},
    ):
        assert api.post("/knowledge", json=bad).status_code == 422, bad
    unknown = "00000000-0000-0000-0000-000000000001"
    assert api.get(f"/knowledge/{unknown}").status_code == 404
    assert (
        api.put(f"/knowledge/{unknown}", json={"title": "x", "body_markdown": "y"}).status_code
        == 404
    )
    assert api.post(f"/knowledge/{unknown}/rating", json={"helpful": True}).status_code == 404
    assert api.get(f"/complaints/{unknown}/knowledge").status_code == 404
    assert hub.store.max_notification_id() == before
