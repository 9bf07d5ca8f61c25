"""A complaint by email opens a case; the customer's reply mail joins it."""

from __future__ import annotations

from typing import Any

from services.wiring.hub import Hub
from tests.support.complaints import cases_of, customer_id_of
from tests.support.email_fixtures import mail, relay, settings, smtp_port, smtp_send
from tests.support.hub import wait_until

__all__ = ["relay", "settings", "smtp_port"]  # fixtures used by this module

SENDER = "Anna Schmidt <anna.schmidt@example.de>"


def test_a_complaint_mail_opens_a_case_and_the_reply_joins_it(
    hub: Hub, api: Any, smtp_port: int
) -> None:
    first = mail(
        SENDER,
        "Waschmaschine",
        "Guten Tag,\nich möchte das defekte Gerät reklamieren.\nAnna",
        message_id="c1.anna@example.de",
    )
    assert smtp_send(smtp_port, first) == {}
    customer = customer_id_of(api, "anna.schmidt@example.de")
    [case] = wait_until(lambda: cases_of(api, customer))
    assert case["queue"] == "complaints" and case["channel"] == "email"
    assert case["category"] == "defect" and case["language"] == "de"

    reply = mail(
        SENDER,
        "Re: Waschmaschine",
        "Die Seriennummer ist 4711.",
        message_id="c2.anna@example.de",
        in_reply_to="<c1.anna@example.de>",
        references="<c1.anna@example.de>",
    )
    assert smtp_send(smtp_port, reply) == {}
    detail = wait_until(
        lambda: (
            (d := api.get(f"/complaints/{case['complaint_id']}").json())["interactions"][1:] and d
        )
    )
    assert [i["role"] for i in detail["interactions"]] == ["opened", "customer"]
    assert len(cases_of(api, customer)) == 1
