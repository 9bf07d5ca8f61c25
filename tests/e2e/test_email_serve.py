"""`contacthub serve` with CONTACTHUB_SMTP_LISTEN set runs the SMTP receiver; what
it acknowledged is in the store, and `contacthub replay` rebuilds the email
timeline (conversations included) equal to the live one."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
from pathlib import Path

import httpx

from events import EmailReceived
from services.infra.settings import Settings
from services.wiring.hub import build_hub
from tests.support.email_fixtures import mail
from tests.support.hub import wait_until
from tests.support.ports import free_port

CLI = str(Path(sys.executable).parent / "contacthub")


def test_serve_starts_the_smtp_receiver_and_replay_equals_live(
    tmp_path: Path, database_url: str | None
) -> None:
    port, smtp_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTACTHUB_")}
    env |= {
        "CONTACTHUB_DATA_DIR": str(tmp_path / "data"),
        "CONTACTHUB_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "CONTACTHUB_SMTP_LISTEN": f"127.0.0.1:{smtp_port}",
    }
    if database_url:
        env["CONTACTHUB_DATABASE_URL"] = database_url
    proc = subprocess.Popen(
        [CLI, "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )

    def ready() -> bool:
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
        try:
            return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(ready, timeout=30, interval=0.1)
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
            client.send_message(mail("lea@example.de", "Frage", "Hallo", message_id="q1@x.de"))
            client.send_message(
                mail(
                    "lea@example.de",
                    "Re: Frage",
                    "Noch was",
                    message_id="q2@x.de",
                    in_reply_to="<q1@x.de>",
                )
            )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)

    hub = build_hub(
        Settings(
            data_dir=tmp_path / "data",
            database_url=database_url,
            _env_file=None,  # type: ignore[call-arg]
        )
    )
    hub.projector.catch_up()
    emails = [e for _, e in hub.store.notifications(0, 1000) if isinstance(e, EmailReceived)]
    assert [e.message_id for e in emails] == ["q1@x.de", "q2@x.de"]
    assert emails[0].conversation_id == emails[1].conversation_id
    live = {view.name: view.checksum() for view in hub.views.all}

    replayed = subprocess.run(
        [CLI, "replay"], env=env, cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert dict(line.split() for line in replayed.stdout.strip().splitlines()) == live
