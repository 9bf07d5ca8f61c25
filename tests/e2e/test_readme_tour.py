"""The README's tour runs as written: its bash blocks, pasted into one fresh shell.

The blocks are taken from README.md itself (every ```bash block of the section
"A short tour"), so a change to the tour that breaks it fails here. They run
with bash in a temporary folder that has the repository's .venv under the same
relative path, against a real `contacthub serve` that the tour itself starts.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from contextlib import suppress
from pathlib import Path

import httpx

from tests.support.hub import free_port

README = Path(__file__).resolve().parents[2] / "README.md"
TOUR_HEADING = "## A short tour"


def tour_blocks(readme: str) -> list[str]:
    """The ```bash blocks between the tour's heading and the next section."""
    section = readme.split(TOUR_HEADING + "\n", 1)[1]
    section = re.split(r"^## ", section, maxsplit=1, flags=re.MULTILINE)[0]
    return re.findall(r"^```bash\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)


def fresh_shell_env(tmp_path: Path, port: int) -> dict[str, str]:
    # A fresh shell: none of the hub's settings from the test run leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTACTHUB_")}
    return env | {"PORT": str(port), "TMPDIR": str(tmp_path), "HOME": str(tmp_path)}


def test_the_readme_tour_runs_as_written(tmp_path: Path) -> None:
    blocks = tour_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 5, "the tour's bash blocks were not found under its heading"
    script = tmp_path / "tour.sh"
    # -e and pipefail: a failing command in any block fails the tour, as a
    # reader would notice it failing.
    script.write_text("set -euo pipefail\n" + "\n".join(blocks), encoding="utf-8")
    (tmp_path / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    port = free_port()

    # Its own session, so that whatever the tour left running can be ended with it.
    proc = subprocess.Popen(
        ["bash", str(script)],
        cwd=tmp_path,
        env=fresh_shell_env(tmp_path, port),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=60)
        # The tour's last block stopped the hub it started (before this cleanup).
        left_running = hub_answers(port)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    assert proc.returncode == 0, f"the tour failed:\n{out[-3000:]}\n{err[-3000:]}"
    assert '"status":"ready"' in out
    assert "<Response/>" in out
    assert "customer: " in out and "Hallo, mein Gerät ist defekt" in out
    assert "again: 200" in out
    assert "forged: 403" in out
    assert "interactions: 1" in out
    assert re.search(r"^[0-9a-f-]{36}\.pdf$", out, flags=re.MULTILINE), out[-2000:]
    assert not left_running, "the tour left its hub running"


def hub_answers(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
    except httpx.TransportError:
        return False
    return True
