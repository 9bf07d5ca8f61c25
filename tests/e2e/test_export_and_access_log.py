"""Data subject access and who looked at what, over HTTP and the real command:
the export holds the customer's profile, addresses, consent history, every
interaction whole (an SMS complaint, an email with an attachment through the
real SMTP relay) and the complaint case; the ZIP carries the attachment's bytes;
every read of a 360, an interaction, an attachment and an export is in the
access log, which only admins and auditors may read."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from services.infra.auth import Role
from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.cli import cli_env, run_cli
from tests.support.complaints import agent_client, cases_of, customer_id_of, customer_writes
from tests.support.email_fixtures import relay, settings, smtp_port
from tests.support.hub import settle, wait_until
from tests.support.smtp_relay import SmtpRelay

__all__ = ["relay", "settings", "smtp_port"]  # fixtures used by this module

PHONE = "+4917690006666"
EMAIL = "lena.ufer@example.de"
COMPLAINT = "Ich möchte das defekte Gerät reklamieren"
PDF = b"%PDF-1.4 Rechnung " + bytes(range(256))
ADDRESS = {"name": "Lena Ufer", "street": "Hafenweg 3", "postal_code": "28195", "city": "Bremen"}


def a_customer_with_history(client: httpx.Client, base_url: str, api: Any) -> tuple[str, str]:
    """An SMS complaint, a postal address, an opt-out, and an email with a PDF."""
    customer_writes(client, base_url, 1, PHONE, COMPLAINT)
    customer_id = customer_id_of(api, PHONE)
    wait_until(lambda: cases_of(api, customer_id))
    assert api.put(f"/customers/{customer_id}/postal-address", json=ADDRESS).status_code == 200
    assert api.put(
        f"/customers/{customer_id}/consent", json={"channels": {"voice": False}}
    ).is_success
    sent = api.post(
        f"/customers/{customer_id}/messages",
        json={
            "channel": "email",
            "subject": "Ihre Rechnung",
            "body": "Anbei die Rechnung.",
            "to": EMAIL,
            "attachments": [
                {
                    "name": "Rechnung März.pdf",
                    "content_type": "application/pdf",
                    "content_base64": base64.b64encode(PDF).decode(),
                }
            ],
        },
    )
    assert sent.status_code == 202, sent.text
    return customer_id, str(sent.json()["interaction_id"])


def check_document(document: dict[str, Any], customer_id: str, email_id: str) -> str:
    """Asserts the export's content; returns the attachment's path in a ZIP."""
    assert document["format"] == "contacthub.customer-export.v1"
    assert document["customer_id"] == customer_id
    assert document["profile"]["postal_address"]["street"] == "Hafenweg 3"
    assert {(a["channel"], a["address"]) for a in document["addresses"]} >= {("sms", PHONE)}
    [opt_out] = document["consent"]["history"]
    assert (opt_out["channel"], opt_out["granted"], opt_out["changed_by"]) == (
        "voice",
        False,
        "agent.test",
    )
    assert document["consent"]["now"] == {"voice": {"service": False, "marketing": False}}
    by_id = {i["interaction_id"]: i for i in document["interactions"]}
    [complaint_sms] = [i for i in by_id.values() if i["body"] == COMPLAINT]
    assert complaint_sms["consent"] is None  # inbound: no send, no consent relied on
    email = by_id[email_id]
    assert email["body"] == "Anbei die Rechnung."
    assert email["consent"]["source"] == "default"
    [attachment] = email["attachments"]
    assert attachment["name"] == "Rechnung März.pdf" and attachment["size"] == len(PDF)
    assert email["events"][0]["type"] == "EmailSent"
    [case] = document["complaints"]
    assert any(e["type"] == "ComplaintOpened" for e in case["events"])
    assert str(attachment["file"]).startswith(f"attachments/{email_id}/0-Rechnung")
    return str(attachment["file"])


def test_the_export_holds_everything_and_every_read_is_logged(
    hub: Hub,
    client: httpx.Client,
    base_url: str,
    api: Any,
    relay: SmtpRelay,
    settings: Settings,
    tmp_path: Path,
) -> None:
    customer_id, email_id = a_customer_with_history(client, base_url, api)
    settle(hub)
    started = datetime.now(UTC) - timedelta(seconds=1)
    auditor = agent_client(hub, base_url, "auditor.test", Role.AUDITOR)

    def log(**params: str) -> list[dict[str, Any]]:
        answer = auditor.get("/audit/access", params=params)
        assert answer.status_code == 200, answer.text
        return list(answer.json()["items"])

    before = log(customer_id=customer_id)
    assert api.get(f"/customers/{customer_id}").status_code == 200
    assert api.get(f"/interactions/{email_id}").status_code == 200
    assert api.get(f"/interactions/{email_id}/attachments/0").content == PDF

    exported = api.get(f"/customers/{customer_id}/export")
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("application/json")
    path = check_document(exported.json(), customer_id, email_id)

    zipped = api.get(f"/customers/{customer_id}/export", params={"format": "zip"})
    assert zipped.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
        assert archive.read(path) == PDF
        check_document(json.loads(archive.read("export.json")), customer_id, email_id)

    read = [e for e in log(customer_id=customer_id) if e not in before]
    assert [(e["what"], e["user"], e["role"]) for e in read] == [
        ("customer_360", "agent.test", "agent"),
        ("interaction", "agent.test", "agent"),
        ("attachment", "agent.test", "agent"),
        ("export", "agent.test", "agent"),
        ("export", "agent.test", "agent"),
    ]
    assert [e["interaction_id"] for e in read[1:3]] == [email_id, email_id]
    assert all(datetime.fromisoformat(e["at"]) >= started for e in read)
    # Filters: by user, and by time.
    assert log(user="someone.else") == []
    assert len(log(user="agent.test", customer_id=customer_id)) == len(before) + 5
    assert log(since=(datetime.now(UTC) + timedelta(hours=1)).isoformat()) == []

    # Agents may not read the log; nobody without a token may read anything.
    assert api.get("/audit/access").status_code == 403
    assert client.get(f"{base_url}/api/v1/audit/access").status_code == 401
    assert client.get(f"{base_url}/api/v1/customers/{customer_id}/export").status_code == 401
    # An unknown customer: 404, and nothing is logged.
    count = len(log())
    unknown = "00000000-0000-4000-8000-000000000000"
    assert api.get(f"/customers/{unknown}/export").status_code == 404
    assert api.get(f"/customers/{unknown}").status_code == 404
    assert len(log()) == count
    assert api.get(f"/customers/{customer_id}/export", params={"format": "pdf"}).status_code == 422

    # The command writes the same document, and the export is logged as the operator's.
    env = cli_env(settings)
    out = tmp_path / "export.json"
    done = run_cli(env, "customer", "export", customer_id, "--out", str(out))
    assert done.returncode == 0, done.stderr
    check_document(json.loads(out.read_text()), customer_id, email_id)
    printed = run_cli(env, "customer", "export", customer_id)
    assert json.loads(printed.stdout)["customer_id"] == customer_id
    archive_file = tmp_path / "export.zip"
    assert (
        run_cli(
            env, "customer", "export", customer_id, "--zip", "--out", str(archive_file)
        ).returncode
        == 0
    )
    with zipfile.ZipFile(archive_file) as archive:
        assert archive.read(path) == PDF
    assert [e["what"] for e in log(customer_id=customer_id) if e["user"].startswith("cli:")] == [
        "export"
    ] * 3
    missing = run_cli(env, "customer", "export", unknown)
    assert missing.returncode == 1 and "no customer" in missing.stderr
    assert run_cli(env, "customer", "export", "not-a-uuid").returncode == 2
