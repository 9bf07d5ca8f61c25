"""`contacthub audit export` / `verify` / `public-key` and GET /api/v1/audit/export:
a signed, hash-chained export of every event, and a verifier that names the first
line that was changed, removed, inserted or reordered. The real CLI as a subprocess."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from events import ERASED
from services.infra.auth import Role
from services.infra.settings import Settings
from services.wiring.hub import Hub
from tests.support.cli import cli_env, last_line, run_cli
from tests.support.complaints import agent_client, customer_id_of, customer_writes
from tests.support.hub import settle

ANNA, BERND = "+4915112345671", "+4915112345672"
SECRET_SENTENCE = "Meine Kundennummer ist 4711 und ich wohne in der Lindenstrasse"


def write_history(client: httpx.Client, base_url: str, hub: Hub) -> None:
    customer_writes(client, base_url, 1, ANNA, SECRET_SENTENCE)
    customer_writes(client, base_url, 2, BERND, "Guten Tag, wann kommt mein Paket?")
    customer_writes(client, base_url, 3, ANNA, "Und noch eine Frage zur Rechnung")
    customer_writes(client, base_url, 4, BERND, "Danke schoen")
    settle(hub)


def export(env: dict[str, str], out: Path, *args: str) -> str:
    """Runs `audit export`; returns the public key it prints."""
    return last_line(run_cli(env, "audit", "export", "--out", str(out), *args))


def verify(env: dict[str, str], lines: list[bytes], where: Path, *args: str) -> Any:
    where.write_bytes(b"".join(lines))
    return run_cli(env, "audit", "verify", str(where), *args)


def events_of(path: Path) -> list[dict[str, Any]]:
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert lines[0]["kind"] == "header" and lines[-1]["kind"] == "seal"
    assert all(line["kind"] == "event" for line in lines[1:-1])
    return [line["event"] for line in lines[1:-1]]


def test_verify_accepts_the_export_and_names_each_tampered_line(
    hub: Hub, settings: Settings, client: httpx.Client, base_url: str, tmp_path: Path
) -> None:
    write_history(client, base_url, hub)
    env = cli_env(settings)
    out = tmp_path / "audit.jsonl"
    public_key = export(env, out)
    assert run_cli(env, "audit", "public-key").stdout.strip() == public_key

    # Every event, decrypted: the auditor reads the messages.
    events = events_of(out)
    assert len(events) == hub.store.max_notification_id()
    assert any(e.get("body") == SECRET_SENTENCE for e in events)

    key_file = tmp_path / "audit.pub"
    assert last_line(run_cli(env, "audit", "public-key", "--out", str(key_file))) == public_key
    intact = run_cli(env, "audit", "verify", str(out), "--public-key", str(key_file))
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert f"intact, {len(events)} events" in intact.stdout
    assert run_cli(env, "audit", "verify", str(out)).returncode == 0  # the file's own key

    lines = out.read_bytes().splitlines(keepends=True)
    assert len(lines) >= 6
    tampered = tmp_path / "tampered.jsonl"

    changed = list(lines)
    changed[3] = changed[3].replace(b'"occurred_at":"2', b'"occurred_at":"1', 1)
    assert changed[3] != lines[3]
    cases = {
        "line 4: changed": changed,
        "line 3: removed": lines[:2] + lines[3:],
        "line 4: inserted": [*lines[:3], lines[1], *lines[3:]],
        "line 3: reordered": [*lines[:2], lines[3], lines[2], *lines[4:]],
        f"line {len(lines)}: removed": lines[:-1],
    }
    for expected, variant in cases.items():
        result = verify(env, variant, tampered, "--public-key", public_key)
        assert result.returncode == 1, (expected, result.stdout, result.stderr)
        assert expected in result.stdout, (expected, result.stdout)

    # A key other than the hub's does not vouch for the file.
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    foreign = verify(env, lines, tampered, "--public-key", base64.b64encode(other).decode())
    assert foreign.returncode == 1
    assert "signature does not match" in foreign.stdout


def test_exports_by_customer_and_recorded_time_and_erased_data_comes_out_erased(
    hub: Hub, settings: Settings, client: httpx.Client, base_url: str, tmp_path: Path, api: Any
) -> None:
    write_history(client, base_url, hub)
    env = cli_env(settings)
    anna = customer_id_of(api, ANNA)

    only_anna = tmp_path / "anna.jsonl"
    export(env, only_anna, "--customer", anna)
    events = events_of(only_anna)
    assert events and {e["customer_id"] for e in events} == {anna}
    everything = events_of_export(env, tmp_path / "all.jsonl")
    assert len(events) == sum(1 for e in everything if e["customer_id"] == anna)

    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    later = tmp_path / "later.jsonl"
    export(env, later, "--since", future)
    assert events_of(later) == []
    assert run_cli(env, "audit", "verify", str(later)).returncode == 0
    earlier = tmp_path / "earlier.jsonl"
    export(env, earlier, "--until", future)
    assert len(events_of(earlier)) == len(everything)

    refused = run_cli(env, "audit", "export", "--out", str(later), "--since", "yesterday")
    assert refused.returncode == 2 and "--since" in refused.stderr

    # Crypto-shredding: the key gone, the personal fields come out as erased.
    hub.store.keys.destroy(UUID(anna), "2026-01-01T00:00:00+00:00")
    shredded = tmp_path / "shredded.jsonl"
    export(env, shredded)
    assert SECRET_SENTENCE.encode() not in shredded.read_bytes()
    assert ANNA.encode() not in shredded.read_bytes()
    erased = [e for e in events_of(shredded) if e["customer_id"] == anna and "body" in e]
    assert erased and all(e["body"] == ERASED for e in erased)
    assert run_cli(env, "audit", "verify", str(shredded)).returncode == 0


def events_of_export(env: dict[str, str], out: Path) -> list[dict[str, Any]]:
    export(env, out)
    return events_of(out)


def test_the_http_export_is_for_auditors_and_admins_and_verifies(
    hub: Hub, settings: Settings, client: httpx.Client, base_url: str, tmp_path: Path, api: Any
) -> None:
    write_history(client, base_url, hub)
    env = cli_env(settings)
    public_key = last_line(run_cli(env, "audit", "public-key"))
    bernd = customer_id_of(api, BERND)

    with agent_client(hub, base_url, "auditor.test", Role.AUDITOR) as auditor:
        answer = auditor.get("/audit/export")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/x-ndjson")
        out = tmp_path / "http.jsonl"
        out.write_bytes(answer.content)
        assert len(events_of(out)) == hub.store.max_notification_id()
        ok = run_cli(env, "audit", "verify", str(out), "--public-key", public_key)
        assert ok.returncode == 0, ok.stdout + ok.stderr

        filtered = auditor.get("/audit/export", params={"customer": bernd})
        out.write_bytes(filtered.content)
        assert {e["customer_id"] for e in events_of(out)} == {bernd}

        now = datetime.now(UTC).isoformat()
        empty = auditor.get("/audit/export", params={"since": now, "until": now})
        assert empty.status_code == 200
        out.write_bytes(empty.content)
        assert events_of(out) == []
        assert run_cli(env, "audit", "verify", str(out)).returncode == 0
        naive = auditor.get("/audit/export", params={"since": "2026-01-01T00:00:00"})
        assert naive.status_code == 422

    with agent_client(hub, base_url, "admin.test", Role.ADMIN) as admin:
        assert admin.get("/audit/export").status_code == 200
    refused = api.get("/audit/export")  # an agent
    assert refused.status_code == 403
    assert "auditors" in refused.json()["detail"]
    assert httpx.get(base_url + "/api/v1/audit/export").status_code == 401


def test_the_signing_key_comes_from_the_environment_and_a_bad_one_is_refused(
    tmp_path: Path,
) -> None:
    env = cli_env(Settings(data_dir=tmp_path / "data", _env_file=None))  # type: ignore[call-arg]
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes_raw()
    expected = base64.b64encode(private.public_key().public_bytes_raw()).decode()
    configured = {**env, "CONTACTHUB_AUDIT_SIGNING_KEY": base64.b64encode(seed).decode()}
    assert last_line(run_cli(configured, "audit", "public-key")) == expected
    assert not (tmp_path / "data" / "audit-signing.key").exists()

    bad = run_cli({**env, "CONTACTHUB_AUDIT_SIGNING_KEY": "not-a-key"}, "audit", "public-key")
    assert bad.returncode == 2
    assert "CONTACTHUB_AUDIT_SIGNING_KEY must be base64 of exactly 32 bytes" in bad.stderr

    # Unset: generated into the data folder once, then the same key every time.
    generated = last_line(run_cli(env, "audit", "public-key"))
    assert generated != expected
    assert (tmp_path / "data" / "audit-signing.key").stat().st_mode & 0o777 == 0o600
    assert last_line(run_cli(env, "audit", "public-key")) == generated
