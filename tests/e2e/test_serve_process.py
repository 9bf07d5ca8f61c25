"""`contacthub serve` as a real process: SIGKILL loses nothing acknowledged, the read
models continue where they stopped, and `contacthub replay` equals the live run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from adapters.sms.verify import twilio_signature
from services.infra.settings import Settings
from services.wiring.hub import build_hub
from tests.support.hub import ACCOUNT_SID, AUTH_TOKEN, inbound_sms_form, post_signed, wait_until
from tests.support.ports import free_port

CLI = str(Path(sys.executable).parent / "contacthub")


def cli_env(data_dir: Path, database_url: str | None, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTACTHUB_")}
    env |= {
        "CONTACTHUB_DATA_DIR": str(data_dir),
        "CONTACTHUB_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "CONTACTHUB_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "CONTACTHUB_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    }
    if database_url:
        env["CONTACTHUB_DATABASE_URL"] = database_url
    return env


def start_serve(env: dict[str, str], port: int, cwd: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )

    def ready() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(ready, timeout=30, interval=0.1)
    return proc


@pytest.fixture
def env(tmp_path: Path, database_url: str | None) -> Iterator[dict[str, str]]:
    port = free_port()
    yield cli_env(tmp_path / "data", database_url, port) | {"PORT": str(port)}


def settings_of(env: dict[str, str]) -> Settings:
    return Settings(
        data_dir=Path(env["CONTACTHUB_DATA_DIR"]),
        database_url=env.get("CONTACTHUB_DATABASE_URL"),
        _env_file=None,  # type: ignore[call-arg]
    )


def test_sigkill_loses_nothing_acknowledged_and_projections_resume(
    env: dict[str, str], tmp_path: Path
) -> None:
    port = int(env["PORT"])
    base = f"http://127.0.0.1:{port}"
    proc = start_serve(env, port, tmp_path)
    acknowledged: list[str] = []
    stop = threading.Event()

    def send_forever() -> None:
        n = 0
        with httpx.Client(timeout=5) as client:
            while not stop.is_set():
                n += 1
                form = inbound_sms_form(1000 + n, f"+49176{10_000_000 + n % 40}", f"Nachricht {n}")
                try:
                    response = post_signed(client, base, "/webhooks/twilio/sms", form)
                except httpx.TransportError:
                    continue  # the provider would retry; nothing was acknowledged
                if response.status_code == 200:
                    acknowledged.append(form["MessageSid"])

    sender = threading.Thread(target=send_forever)
    sender.start()
    wait_until(lambda: len(acknowledged) >= 150, timeout=60)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stop.set()
    sender.join()

    # Restart: everything acknowledged is in the store and, once projected, in the 360.
    proc = start_serve(env, port, tmp_path)
    try:
        token = (
            subprocess.run(
                [CLI, "token", "create", "--role", "agent"],
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        hub = build_hub(settings_of(env))
        stored = {
            e.provider_message_id
            for _, e in hub.store.notifications(0, 1_000_000)
            if e.type == "SmsReceived"
        }
        assert set(acknowledged) <= stored

        headers = {"Authorization": f"Bearer {token}"}

        def all_projected() -> bool:
            metrics = httpx.get(base + "/metrics").text
            values = {
                line.split()[0]: float(line.split()[1])
                for line in metrics.splitlines()
                if line.startswith("contacthub_") and " " in line
            }
            return values["contacthub_projector_position"] == values["contacthub_store_position"]

        wait_until(all_projected, timeout=10)
        total = 0
        for n in range(40):
            found = httpx.get(
                base + "/api/v1/customers",
                params={"q": f"+49176{10_000_000 + n}"},
                headers=headers,
            ).json()["items"]
            total += sum(c["interaction_count"] for c in found)
        # Each stored message counted once: no batch was lost or applied twice.
        assert total == len(stored)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


def test_replay_rebuilds_read_models_equal_to_the_live_ones(
    env: dict[str, str], tmp_path: Path
) -> None:
    run = {"env": env, "cwd": tmp_path, "capture_output": True, "text": True, "check": True}
    subprocess.run([CLI, "demo", "--customers", "60", "--interactions", "600"], **run)  # type: ignore[call-overload]
    hub = build_hub(settings_of(env))
    live = {view.name: view.checksum() for view in hub.views.all}
    assert hub.views.customer360.search("", None, 100)  # the demo was projected

    replayed = subprocess.run([CLI, "replay"], **run)  # type: ignore[call-overload]
    rebuilt = dict(line.split() for line in replayed.stdout.strip().splitlines())
    assert rebuilt == live
    assert {view.name: view.checksum() for view in hub.views.all} == live


def test_replay_refuses_to_run_beside_a_live_projector(env: dict[str, str], tmp_path: Path) -> None:
    port = int(env["PORT"])
    proc = start_serve(env, port, tmp_path)
    try:
        refused = subprocess.run(
            [CLI, "replay"], env=env, cwd=tmp_path, capture_output=True, text=True
        )
        assert refused.returncode == 1
        assert "stop it first" in refused.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    done = subprocess.run([CLI, "replay"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_serve_on_another_port_checks_webhook_signatures_against_that_port(
    env: dict[str, str], tmp_path: Path
) -> None:
    # No CONTACTHUB_PUBLIC_URL: the URL providers sign is the one serve listens on.
    port = free_port()
    env = {k: v for k, v in env.items() if k != "CONTACTHUB_PUBLIC_URL"}
    proc = start_serve(env, port, tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(timeout=10) as client:
            form = inbound_sms_form(401, "+4917612345671", "Hallo")
            signed_for_default = twilio_signature(
                AUTH_TOKEN, "http://127.0.0.1:8000/webhooks/twilio/sms", form
            )
            refused = post_signed(
                client, base, "/webhooks/twilio/sms", form, signature=signed_for_default
            )
            assert refused.status_code == 403
            accepted = post_signed(client, base, "/webhooks/twilio/sms", form)
            assert accepted.status_code == 200, accepted.text
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    said = stderr.decode()
    assert f"webhook signatures are checked against {base} (from --host/--port" in said
    store = build_hub(settings_of(env)).store
    assert len(store.notifications(0, 100)) == 4  # one customer, one message


def children_of(pid: int) -> list[int]:
    """The process's children, from /proc (Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # it exited meanwhile
        # pid (comm) state ppid ...: comm may hold spaces, so split after its ")".
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    return state != "Z"  # a zombie has exited; its parent has not reaped it yet


def test_serve_restarts_its_followers_process_and_it_never_outlives_serve(
    env: dict[str, str], tmp_path: Path
) -> None:
    port = int(env["PORT"])
    base = f"http://127.0.0.1:{port}"
    proc = start_serve(env, port, tmp_path)
    try:
        [followers] = children_of(proc.pid)
        assert httpx.get(base + "/readyz").json()["followers"] == "ok"
        os.kill(followers, signal.SIGKILL)
        # Not ready while it is gone; then a new one projects what comes in.
        wait_until(lambda: httpx.get(base + "/readyz").status_code == 503, timeout=5)
        wait_until(lambda: httpx.get(base + "/readyz").status_code == 200, timeout=30, interval=0.1)
        [restarted] = children_of(proc.pid)
        assert restarted != followers
        with httpx.Client(timeout=10) as client:
            form = inbound_sms_form(7001, "+4917612345699", "Nach dem Neustart")
            assert post_signed(client, base, "/webhooks/twilio/sms", form).status_code == 200
        hub = build_hub(settings_of(env))
        wait_until(lambda: hub.views.customer360.search("+4917612345699", None, 5), timeout=10)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # The pipe that woke it closed with serve: it stops on its own.
    wait_until(lambda: not alive(restarted), timeout=20, interval=0.1)
