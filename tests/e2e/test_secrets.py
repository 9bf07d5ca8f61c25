"""Secrets stay secret: `contacthub serve` with distinctive secret values, exercised
through logins, API calls, bad webhooks, errors and /metrics; none of the values
appears in its logs, in any answer, or in /metrics. The distributed services
refuse to start with a missing or default secret. /metrics and /docs can be
restricted."""

from __future__ import annotations

import base64
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from adapters.sms.verify import twilio_signature
from services.entry import cli
from services.infra.auth import Role
from services.infra.settings import Settings
from tests.support.cli import CLI, last_line, run_cli
from tests.support.hub import ACCOUNT_SID, inbound_sms_form, running_hub, wait_until
from tests.support.ports import free_port

# Distinctive values: each is searched for, whole, in everything the hub says.
MASTER_KEY = base64.b64encode(b"MASTER-KEY-is-secret-" + os.urandom(11)).decode()
AUDIT_KEY = base64.b64encode(b"AUDIT-KEY-is-secret--" + os.urandom(11)).decode()
TWILIO_TOKEN = "twilio-token-" + os.urandom(10).hex()
MAILGUN_KEY = "mailgun-key-" + os.urandom(10).hex()
POST_SECRET = "post-secret-" + os.urandom(10).hex()
METRICS_TOKEN = "metrics-token-" + os.urandom(10).hex()
PASSWORD = "Pass-" + os.urandom(10).hex()


def hub_env(data_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTACTHUB_")}
    return env | {
        "CONTACTHUB_DATA_DIR": str(data_dir),
        "CONTACTHUB_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "CONTACTHUB_MASTER_KEY": MASTER_KEY,
        "CONTACTHUB_AUDIT_SIGNING_KEY": AUDIT_KEY,
        "CONTACTHUB_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "CONTACTHUB_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "CONTACTHUB_MAILGUN_SIGNING_KEY": MAILGUN_KEY,
        "CONTACTHUB_POST_WEBHOOK_SECRET": POST_SECRET,
        "CONTACTHUB_METRICS_TOKEN": METRICS_TOKEN,
    }


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], Path]]:
    port = free_port()
    env = hub_env(tmp_path / "data", port)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            assert proc.poll() is None, log.read_text()
            try:
                return httpx.get(base + "/readyz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        try:
            wait_until(ready, timeout=120, interval=0.2)
            yield base, env, log
        finally:
            proc.terminate()
            proc.wait(20)


def test_no_secret_in_logs_answers_or_metrics(
    served: tuple[str, dict[str, str], Path], tmp_path: Path
) -> None:
    base, env, log = served
    created = run_cli(env, "user", "create", "anna", "--role", "agent", stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    token = last_line(run_cli(env, "token", "create", "--user", "anna"))
    said: list[str] = [created.stdout, created.stderr]

    with httpx.Client(base_url=base, timeout=10) as web:

        def keep(response: httpx.Response) -> httpx.Response:
            said.append(response.text)
            said.append(str(response.headers))
            return response

        # Console login: a wrong password, then the right one.
        page = keep(web.get("/login"))
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        form = {"username": "anna", "password": PASSWORD + "x", "csrf": csrf.group(1)}
        assert keep(web.post("/login", data=form)).status_code in (401, 403)
        signed_in = keep(web.post("/login", data={**form, "password": PASSWORD}))
        assert signed_in.status_code in (200, 303)
        # The API: with the token, with a wrong one, and an invalid body that
        # carries a secret (the 422 must not echo it back).
        auth = {"Authorization": f"Bearer {token}"}
        assert (
            keep(web.get("/api/v1/customers", params={"q": "anna"}, headers=auth)).status_code
            == 200
        )
        bad_token = {"Authorization": f"Bearer {token}x"}
        assert keep(web.get("/api/v1/customers", headers=bad_token)).status_code == 401
        echoed = keep(
            web.post(
                "/api/v1/complaints",
                json={"customer_id": "not-a-uuid", "password": PASSWORD, "token": token},
                headers=auth,
            )
        )
        assert echoed.status_code == 422
        assert keep(web.get(f"/api/v1/customers/{'0' * 8}", headers=auth)).status_code == 422
        # Webhooks with wrong signatures, each provider's.
        form_sms = inbound_sms_form(1, "+4917600000001", "Hallo")
        wrong = twilio_signature(TWILIO_TOKEN + "x", base + "/webhooks/twilio/sms", form_sms)
        sms = keep(
            web.post("/webhooks/twilio/sms", data=form_sms, headers={"X-Twilio-Signature": wrong})
        )
        assert sms.status_code == 403
        mail = keep(
            web.post(
                "/webhooks/email/mailgun",
                data={"timestamp": "1", "token": "t", "signature": "00", "sender": "a@b.de"},
            )
        )
        assert mail.status_code in (401, 403)
        post = keep(
            web.post(
                "/webhooks/post/status", content=b"{}", headers={"X-Contacthub-Signature": "00"}
            )
        )
        assert post.status_code in (401, 403)
        # /metrics: refused without its token, served with it.
        assert keep(web.get("/metrics")).status_code == 401
        assert (
            keep(web.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        )
        metrics = keep(web.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}))
        assert metrics.status_code == 200 and "contacthub_webhooks" in metrics.text
        keep(web.get("/openapi.json"))

    # The audit export is signed with the configured key (so the key was in use).
    exported = run_cli(env, "audit", "export", "--out", str(tmp_path / "audit.jsonl"))
    said += [exported.stdout, exported.stderr, (tmp_path / "audit.jsonl").read_text()]
    said.append(log.read_text(errors="replace"))
    everything = "\n".join(said)
    secrets = {
        "master key": MASTER_KEY,
        "audit signing key": AUDIT_KEY,
        "Twilio auth token": TWILIO_TOKEN,
        "Mailgun signing key": MAILGUN_KEY,
        "post webhook secret": POST_SECRET,
        "metrics token": METRICS_TOKEN,
        "API token": token,
        "user password": PASSWORD,
    }
    leaked = [name for name, value in secrets.items() if value in everything]
    assert leaked == []
    # And the log did record the traffic (so the search looked at something).
    assert "/webhooks/twilio/sms" in log.read_text()


SERVICES = ("gateway", "api", "recorder", "orders", "projector", "publisher", "partner-webhooks")


def test_the_distributed_services_refuse_to_start_without_their_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CONTACTHUB_")} | {
        "CONTACTHUB_DATA_DIR": str(tmp_path / "data"),
        # Never reached: the check comes before any connection.
        "CONTACTHUB_KAFKA_BOOTSTRAP": "127.0.0.1:1",
    }
    # The real process, once: a non-zero exit and the reason on standard error.
    refused = run_cli(base, "run", "gateway")
    assert refused.returncode == 2, refused.stderr
    assert "contacthub run gateway refuses to start" in refused.stderr
    assert "CONTACTHUB_MASTER_KEY is not set" in refused.stderr

    # Every service, through the same command line in this process (no start-up cost each).
    for name in [k for k in os.environ if k.startswith("CONTACTHUB_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CONTACTHUB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CONTACTHUB_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    monkeypatch.chdir(tmp_path)  # no .env file on the way
    runner = CliRunner()

    def run(service: str, **env: str) -> tuple[int, str]:
        with monkeypatch.context() as patched:
            for name, value in env.items():
                patched.setenv(name, value)
            result = runner.invoke(cli.app, ["run", service])
        return result.exit_code, " ".join(result.output.split())

    for service in SERVICES:
        code, said = run(service)
        assert code == 2, (service, said)
        assert f"contacthub run {service} refuses to start" in said
        assert "CONTACTHUB_MASTER_KEY is not set" in said
    code, said = run("gateway", CONTACTHUB_MASTER_KEY=MASTER_KEY)
    assert code == 2 and "CONTACTHUB_TWILIO_AUTH_TOKEN is not set" in said
    assert "CONTACTHUB_MAILGUN_SIGNING_KEY is not set" in said
    assert "CONTACTHUB_MASTER_KEY" not in said
    code, said = run("api", CONTACTHUB_MASTER_KEY=MASTER_KEY)
    assert code == 2 and "CONTACTHUB_AUDIT_SIGNING_KEY is not set" in said
    # Set, but to defaults: refused without echoing the values.
    code, said = run(
        "gateway",
        CONTACTHUB_MASTER_KEY=base64.b64encode(bytes(32)).decode(),
        CONTACTHUB_TWILIO_AUTH_TOKEN="changeme",
        CONTACTHUB_MAILGUN_SIGNING_KEY="key-123",
    )
    assert code == 2
    assert "CONTACTHUB_MASTER_KEY is a default or placeholder value" in said
    assert "CONTACTHUB_TWILIO_AUTH_TOKEN is a default or placeholder value" in said
    assert "CONTACTHUB_MAILGUN_SIGNING_KEY is shorter than 16 characters" in said
    assert "changeme" not in said and "key-123" not in said


@pytest.fixture
def restricted(tmp_path: Path) -> Iterator[tuple[str, str, Settings]]:
    port = free_port()
    settings = Settings(
        data_dir=tmp_path / "data",
        public_url=f"http://127.0.0.1:{port}",
        metrics_token=METRICS_TOKEN,
        docs="auth",
        _env_file=None,  # type: ignore[call-arg]
    )
    with running_hub(settings, port) as hub:
        yield f"http://127.0.0.1:{port}", hub.tokens.create(Role.AUDITOR, "reader"), settings


def test_metrics_and_docs_can_be_restricted(
    restricted: tuple[str, str, Settings], tmp_path: Path
) -> None:
    base, token, settings = restricted
    with httpx.Client(base_url=base, timeout=10) as web:
        for path in ("/docs", "/openapi.json"):
            refused = web.get(path)
            assert refused.status_code == 401, path
            assert "bearer token or a console session" in refused.json()["detail"]
            assert web.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401
            assert web.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        document = web.get("/openapi.json", headers={"Authorization": f"Bearer {token}"}).json()
        assert "/api/v1/customers" in document["paths"]
        assert web.get("/metrics").status_code == 401
        ok = web.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert ok.status_code == 200 and "contacthub_store_position" in ok.text
        assert web.get("/healthz").status_code == 200  # probes stay open

    port = free_port()
    off = settings.model_copy(
        update={
            "docs": "off",
            "public_url": f"http://127.0.0.1:{port}",
            "data_dir": tmp_path / "off",
        }
    )
    with running_hub(off, port) as hub, httpx.Client(timeout=10) as web:
        token = hub.tokens.create(Role.ADMIN, "boss")
        for path in ("/docs", "/openapi.json", "/docs/assets/swagger-ui.css"):
            answer = web.get(
                f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"}
            )
            assert answer.status_code == 404, path
