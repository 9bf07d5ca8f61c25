"""History you can prove, over real HTTP on SQLite and PostgreSQL: the customer
as of an instant (a fold of the events by recorded time, ordered by occurred
time; late-scanned letters included) equals a view the test computes on its
own from what it did; merge then unmerge gives both customers back exactly,
and later contacts on either's addresses go to the right customer."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.cli import cli_env, run_cli
from tests.support.complaints import cases_of
from tests.support.hub import inbound_sms_form, post_signed, running_hub, settle, wait_until

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PHONE_S = "+4917611110001"
PHONE_A = "+4917622220001"
PHONE_B = "+4917622220002"
SENDER = {
    "sender_name": "Lena Brief",
    "street": "Postweg 7",
    "postal_code": "20095",
    "city": "Hamburg",
}
LETTER_ADDRESS = "Postweg 7, 20095 Hamburg"


class Clock:
    """The hub's clock: recorded times are whatever the test says it is now."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hub(settings: Settings, port: int, clock: Clock) -> Iterator[Hub]:
    with running_hub(settings, port, clock=clock) as running:
        yield running


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def sms(client: httpx.Client, base_url: str, n: int, phone: str, body: str) -> str:
    answer = post_signed(client, base_url, "/webhooks/twilio/sms", inbound_sms_form(n, phone, body))
    assert answer.status_code == 200, answer.text
    return inbound_sms_form(n, phone, body)["MessageSid"]


def letter(api: Any, scan_id: str, received_at: datetime) -> dict[str, Any]:
    answer = api.post(
        "/letters/inbound",
        data={"scan_id": scan_id, "received_at": received_at.isoformat(), **SENDER},
        files={"file": ("scan.png", PNG, "application/octet-stream")},
    )
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


@dataclass(frozen=True)
class Contact:
    owner: str  # "S" or "L": whose address it came from
    provider_id: str
    channel: str
    occurred: datetime
    recorded: datetime


@dataclass
class Merge:
    merge_id: str
    recorded: datetime
    undone: datetime | None = None


def members_at(merges: list[Merge], at: datetime) -> bool:
    """Whether L is merged into S at the instant (the test's own bookkeeping)."""
    return any(m.recorded <= at and (m.undone is None or m.undone > at) for m in merges)


def expected_view(
    contacts: list[Contact], merges: list[Merge], ids: dict[str, str], who: str, at: datetime
) -> dict[str, Any] | None:
    """The 360 at `at`, from the test's log alone: None if not known yet."""
    merged = members_at(merges, at)
    shown = "S" if merged and who == "L" else who
    group = {"S", "L"} if merged and shown == "S" else {shown}
    known = [c for c in contacts if c.recorded <= at]
    if not any(c.owner == shown for c in known):
        return None  # the customer's first contact was not recorded yet
    items = sorted((c for c in known if c.owner in group), key=lambda c: c.occurred, reverse=True)
    counts: dict[str, int] = {}
    for c in items:
        counts[c.channel] = counts.get(c.channel, 0) + 1
    addresses = {("sms", PHONE_S)} if "S" in group else set()
    if "L" in group and any(c.owner == "L" for c in known):
        addresses.add(("letter", LETTER_ADDRESS))
    return {
        "customer_id": ids[shown],
        "interaction_count": len(items),
        "last_contact_at": iso(items[0].occurred),
        "counts": [
            {"channel": ch, "direction": "inbound", "count": n} for ch, n in sorted(counts.items())
        ],
        "addresses": addresses,
        "timeline": [(iso(c.occurred), c.provider_id, c.channel) for c in items],
        "merged": [ids["L"]] if merged and shown == "S" else [],
    }


def observed(view: dict[str, Any]) -> dict[str, Any]:
    return {
        "customer_id": view["customer_id"],
        "interaction_count": view["interaction_count"],
        "last_contact_at": view["last_contact_at"],
        "counts": view["counts"],
        "addresses": {(a["channel"], a["address"]) for a in view["addresses"]},
        "timeline": [
            (t["occurred_at"], t["provider_id"], t["channel"]) for t in view["timeline"]["items"]
        ],
        "merged": [m["other_customer_id"] for m in view["merged"]],
    }


def whole_timeline(api: Any, customer_id: str, at: datetime, limit: int) -> list[Any]:
    """Every page of the as-of timeline, `limit` entries a page."""
    items: list[Any] = []
    before: str | None = None
    while True:
        params: dict[str, Any] = {"as_of": at.isoformat(), "limit": limit}
        if before:
            params["before"] = before
        page = api.get(f"/customers/{customer_id}/timeline", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        items += [(t["occurred_at"], t["provider_id"], t["channel"]) for t in body["items"]]
        before = body["next_before"]
        if before is None:
            return items


def test_as_of_views_equal_an_independent_fold_of_a_generated_history(
    hub: Hub,
    clock: Clock,
    client: httpx.Client,
    base_url: str,
    api: Any,
    settings: Settings,
) -> None:
    rng = random.Random(15)
    contacts: list[Contact] = []
    merges: list[Merge] = []
    ids: dict[str, str] = {}
    # The first letter is scanned three days after it arrived: before S's first SMS.
    plan = ["sms", "letter-late", "sms", "letter", "merge", "sms", "letter-late", "unmerge"]
    plan += [rng.choice(["sms", "letter", "letter-late"]) for _ in range(6)]
    for n, step in enumerate(plan):
        clock.now += timedelta(minutes=rng.randint(5, 300))
        if step == "sms":
            sid = sms(client, base_url, 1500 + n, PHONE_S, f"Nachricht {n}")
            contacts.append(Contact("S", sid, "sms", clock.now, clock.now))
            if "S" not in ids:
                ids["S"] = customer_of(api, PHONE_S)
        elif step.startswith("letter"):
            # Odd seconds: no two contacts happen at the same instant.
            late = timedelta(days=3, seconds=2 * n + 1) if step == "letter-late" else timedelta()
            scan_id = f"scan-history-{n}"
            answer = letter(api, scan_id, clock.now - late)
            ids.setdefault("L", answer["customer_id"])
            contacts.append(Contact("L", scan_id, "letter", clock.now - late, clock.now))
        elif step == "merge":
            done = api.post(f"/customers/{ids['S']}/merge", json={"other_customer_id": ids["L"]})
            assert done.status_code == 201, done.text
            merges.append(Merge(done.json()["merge_id"], clock.now))
        else:
            undone = api.post(
                f"/customers/{ids['S']}/unmerge", json={"merge_id": merges[-1].merge_id}
            )
            assert undone.status_code == 200, undone.text
            merges[-1].undone = clock.now
    settle(hub)
    # A letter recorded late sorts before earlier-recorded contacts at the end...
    first_letter = next(c for c in contacts if c.owner == "L")
    first_sms = next(c for c in contacts if c.owner == "S")
    assert first_letter.occurred < first_sms.occurred < first_letter.recorded

    instants = {START, clock.now + timedelta(days=1)}
    for c in contacts:
        instants |= {c.recorded, c.recorded - timedelta(microseconds=1)}
    for m in merges:
        instants |= {m.recorded, m.recorded - timedelta(microseconds=1)}
        if m.undone:
            instants |= {m.undone, m.undone - timedelta(microseconds=1)}
    instants |= {START + (clock.now - START) * rng.random() for _ in range(5)}
    for at in sorted(instants):
        for who in ("S", "L"):
            expected = expected_view(contacts, merges, ids, who, at)
            answer = api.get(
                f"/customers/{ids[who]}", params={"as_of": at.isoformat(), "limit": 200}
            )
            if expected is None:
                assert answer.status_code == 404, (who, at, answer.text)
                continue
            assert answer.status_code == 200, answer.text
            assert observed(answer.json()) == expected, (who, at)
            # The timeline route pages through the same fold.
            assert whole_timeline(api, ids[who], at, 3) == expected["timeline"], (who, at)

    # ...and is absent from the view as of just before its scan.
    before_scan = api.get(
        f"/customers/{ids['L']}/timeline",
        params={"as_of": (first_letter.recorded - timedelta(microseconds=1)).isoformat()},
    )
    assert before_scan.status_code == 404  # L's first contact is that letter

    # As of now, the fold and the live read model agree on everything.
    for who in ("S", "L"):
        live = api.get(f"/customers/{ids[who]}", params={"limit": 200}).json()
        folded = api.get(
            f"/customers/{ids[who]}", params={"limit": 200, "as_of": clock.now.isoformat()}
        ).json()
        assert folded == live

    # `contacthub audit show` prints the same document as the API.
    at = sorted(instants)[len(instants) // 2]
    shown = run_cli(
        cli_env(settings), "audit", "show", "--customer", ids["S"], "--as-of", at.isoformat()
    )
    assert shown.returncode == 0, shown.stderr
    assert (
        json.loads(shown.stdout)
        == api.get(f"/customers/{ids['S']}", params={"as_of": at.isoformat(), "limit": 200}).json()
    )


def test_as_of_refuses_an_instant_without_offset_and_a_future_scan_date(
    hub: Hub, clock: Clock, api: Any, client: httpx.Client, base_url: str
) -> None:
    sms(client, base_url, 1601, PHONE_S, "Hallo")
    customer_id = customer_of(api, PHONE_S)
    naive = api.get(f"/customers/{customer_id}", params={"as_of": "2026-03-02T10:00:00"})
    assert naive.status_code == 422
    assert "as_of" in naive.text
    before = hub.store.max_notification_id()
    future = api.post(
        "/letters/inbound",
        data={
            "scan_id": "scan-future",
            "received_at": (clock.now + timedelta(days=1)).isoformat(),
            **SENDER,
        },
        files={"file": ("scan.png", PNG, "application/octet-stream")},
    )
    assert future.status_code == 422
    assert "future" in future.json()["detail"]
    assert hub.store.max_notification_id() == before


def snapshot(api: Any, customer_id: str) -> dict[str, Any]:
    view = api.get(f"/customers/{customer_id}", params={"limit": 200})
    assert view.status_code == 200, view.text
    timeline = api.get(f"/customers/{customer_id}/timeline", params={"limit": 200}).json()
    return {"view": view.json(), "timeline": timeline}


def customer_of(api: Any, phone: str) -> str:
    found = wait_until(lambda: api.get("/customers", params={"q": phone}).json()["items"])
    assert len(found) == 1
    return str(found[0]["customer_id"])


def test_merge_then_unmerge_gives_back_both_customers_exactly_and_contacts_route_correctly(
    hub: Hub,
    clock: Clock,
    client: httpx.Client,
    base_url: str,
    api: Any,
    settings: Settings,
) -> None:
    def tick() -> None:
        clock.now += timedelta(minutes=7)

    for n, (phone, body) in enumerate(
        [
            (PHONE_A, "Hallo"),
            (PHONE_B, "Ich möchte das defekte Gerät reklamieren"),
            (PHONE_A, "Noch was"),
            (PHONE_B, "Danke"),
        ]
    ):
        tick()
        sms(client, base_url, 1700 + n, phone, body)
    a, b = customer_of(api, PHONE_A), customer_of(api, PHONE_B)
    tick()
    sent = api.post(f"/customers/{b}/messages", json={"channel": "sms", "body": "Antwort an B"})
    assert sent.status_code == 202, sent.text
    settle(hub)
    [case_b] = wait_until(lambda: cases_of(api, b))
    assert cases_of(api, a) == []
    before = {a: snapshot(api, a), b: snapshot(api, b)}
    events_before = hub.store.max_notification_id()

    # Refusals change nothing.
    assert api.post(f"/customers/{a}/merge", json={"other_customer_id": a}).status_code == 409
    unknown = "00000000-0000-4000-8000-000000000015"
    assert api.post(f"/customers/{a}/merge", json={"other_customer_id": unknown}).status_code == 404
    assert api.post(f"/customers/{unknown}/merge", json={"other_customer_id": a}).status_code == 404
    assert api.post(f"/customers/{a}/merge", json={"other": b}).status_code == 422
    assert api.post(f"/customers/{a}/unmerge", json={"merge_id": unknown}).status_code == 409
    assert hub.store.max_notification_id() == events_before

    tick()
    merged = api.post(f"/customers/{a}/merge", json={"other_customer_id": b})
    assert merged.status_code == 201, merged.text
    merge_id = merged.json()["merge_id"]
    assert api.post(f"/customers/{a}/merge", json={"other_customer_id": b}).status_code == 409
    assert api.post(f"/customers/{b}/merge", json={"other_customer_id": a}).status_code == 409

    one = snapshot(api, a)["view"]
    view_a, view_b = before[a]["view"], before[b]["view"]
    assert one["customer_id"] == a and one["display_name"] == view_a["display_name"]
    assert one["interaction_count"] == view_a["interaction_count"] + view_b["interaction_count"]
    assert sorted(one["timeline"]["items"], key=lambda t: t["interaction_id"]) == sorted(
        view_a["timeline"]["items"] + view_b["timeline"]["items"], key=lambda t: t["interaction_id"]
    )
    assert [t["occurred_at"] for t in one["timeline"]["items"]] == sorted(
        (t["occurred_at"] for t in one["timeline"]["items"]), reverse=True
    )
    assert {x["address"] for x in one["addresses"]} == {PHONE_A, PHONE_B}
    assert {(c["channel"], c["direction"]): c["count"] for c in one["counts"]} == {
        ("sms", "inbound"): 4,
        ("sms", "outbound"): 1,
    }
    assert one["merged"] == [
        {"merge_id": merge_id, "other_customer_id": b, "merged_at": one["merged"][0]["merged_at"]}
    ]
    # The absorbed customer's id and phone number lead to the one customer.
    assert api.get(f"/customers/{b}").json()["customer_id"] == a
    assert customer_of(api, PHONE_B) == a
    assert [c["complaint_id"] for c in cases_of(api, a)] == [case_b["complaint_id"]]
    by_case = api.get("/customers", params={"q": case_b["case_number"]}).json()["items"]
    assert by_case[0]["customer_id"] == a

    # Undone: both exactly as before; nothing was deleted.
    tick()
    undone = api.post(f"/customers/{a}/unmerge", json={"merge_id": merge_id})
    assert undone.status_code == 200, undone.text
    assert {a: snapshot(api, a), b: snapshot(api, b)} == before
    assert cases_of(api, a) == []
    assert [c["complaint_id"] for c in cases_of(api, b)] == [case_b["complaint_id"]]
    assert api.post(f"/customers/{a}/unmerge", json={"merge_id": merge_id}).status_code == 409
    assert hub.store.max_notification_id() == events_before + 2

    # Merged again, a contact on B's number shows under A; undone, it is B's.
    tick()
    again = api.post(f"/customers/{a}/merge", json={"other_customer_id": b}).json()["merge_id"]
    tick()
    during = sms(client, base_url, 1790, PHONE_B, "Während der Zusammenführung")
    settle(hub)
    assert during in [t["provider_id"] for t in snapshot(api, a)["timeline"]["items"]]
    tick()
    assert api.post(f"/customers/{a}/unmerge", json={"merge_id": again}).status_code == 200
    tick()
    after_a = sms(client, base_url, 1791, PHONE_A, "Später A")
    tick()
    after_b = sms(client, base_url, 1792, PHONE_B, "Später B")
    settle(hub)
    items_a = [t["provider_id"] for t in snapshot(api, a)["timeline"]["items"]]
    items_b = [t["provider_id"] for t in snapshot(api, b)["timeline"]["items"]]
    assert after_a in items_a and during not in items_a and after_b not in items_a
    assert items_b[:2] == [after_b, during]
    assert items_b[2:] == [t["provider_id"] for t in before[b]["timeline"]["items"]]
    assert customer_of(api, PHONE_B) == b

    # A replay from the events gives the same read models, merges included. Its
    # projector must be the only one (`serve` holds the lock `replay` needs; this
    # in-process hub does not), so the live one stops first, as an operator's would.
    hub.projector.stop()
    live = {view.name: view.checksum() for view in hub.views.all}
    replayed = run_cli(cli_env(settings), "replay")
    assert replayed.returncode == 0, replayed.stderr
    assert dict(line.split() for line in replayed.stdout.strip().splitlines()) == live
