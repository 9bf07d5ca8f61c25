"""The distributed hub's services as real processes (`contacthub run ...`), for tests.

Each process logs to a file in the test's folder; a failing test shows the
tail of every log, so a crash in a service is visible, not a silent timeout.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx

from tests.support.email_fixtures import MAILGUN_KEY
from tests.support.hub import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER

CLI = str(Path(sys.executable).parent / "contacthub")


def distributed_env(
    *,
    data_dir: Path,
    database_url: str,
    bootstrap: str,
    topic_prefix: str,
    public_url: str,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment every service of one hub shares (one master key)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTACTHUB_")}
    env |= {
        "CONTACTHUB_DATA_DIR": str(data_dir),
        "CONTACTHUB_DATABASE_URL": database_url,
        "CONTACTHUB_KAFKA_BOOTSTRAP": bootstrap,
        "CONTACTHUB_KAFKA_TOPIC_PREFIX": topic_prefix,
        "CONTACTHUB_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "CONTACTHUB_KAFKA_PARTITIONS": "6",
        "CONTACTHUB_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
        # The services refuse to start without their secrets (services/infra/secrets.py).
        "CONTACTHUB_AUDIT_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
        "CONTACTHUB_MAILGUN_SIGNING_KEY": MAILGUN_KEY,
        "CONTACTHUB_PUBLIC_URL": public_url,
        "CONTACTHUB_POLL_INTERVAL": "0.1",
        "CONTACTHUB_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "CONTACTHUB_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "CONTACTHUB_TWILIO_FROM_NUMBER": OUR_NUMBER,
    }
    return env | dict(extra or {})


class Service:
    def __init__(self, name: str, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.name = name
        self.proc = proc
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up, no leaving the group, nothing flushed."""
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout: float = 20) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()


class Services:
    """Starts `contacthub run <service>` processes and stops them all at the end."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env = env
        self.workdir = workdir
        self.started: list[Service] = []

    def start(
        self,
        service: str,
        *args: str,
        port: int | None = None,
        ready_log: str | None = None,
        timeout: float = 30,
    ) -> Service:
        n = sum(1 for s in self.started if s.name == service)
        log = self.workdir / f"{service}-{n}.log"
        command = [CLI, "run", service, *args]
        if port is not None:
            command += ["--host", "127.0.0.1", "--port", str(port)]
        with log.open("ab") as out:
            proc = subprocess.Popen(
                command,
                env=self.env,
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started = Service(service, proc, log)
        self.started.append(started)
        if port is not None:
            self._wait(started, lambda: _answers(f"http://127.0.0.1:{port}/healthz"), timeout)
        if ready_log is not None:
            self.wait_for_log(started, ready_log, timeout)
        return started

    def wait_for_log(self, service: Service, line: str, timeout: float = 90) -> None:
        """Until the service's output contains `line` (raises if it exits first)."""
        self._wait(service, lambda: line in service.output(), timeout)

    # A process imports the whole app before it answers: on a loaded shared
    # machine (load 15 on 2 cores) that took longer than 30 s.
    def _wait(self, service: Service, ready: Callable[[], bool], timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if not service.alive():
                raise AssertionError(f"{service.name} exited:\n{service.output()[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{service.name} not ready:\n{service.output()[-3000:]}")
            time.sleep(0.05)

    def stop_all(self) -> None:
        for service in reversed(self.started):
            service.stop()

    def logs(self) -> str:
        return "\n".join(
            f"----- {s.name} ({s.log.name}) -----\n{s.output()[-3000:]}" for s in self.started
        )


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


__all__ = ["CLI", "Service", "Services", "distributed_env"]
