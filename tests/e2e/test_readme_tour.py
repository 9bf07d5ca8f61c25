"""The README's tour and the channel examples run as written, pasted into a fresh shell.

The blocks are taken from the documents themselves (every ```bash block of the
README's section "A short tour"; every ```bash block of docs/channels.md, with
the tour's first three blocks where its marker comment says), so a change that
breaks an example fails here. They run with bash in a temporary folder that
has the repository's .venv (and tests/, for the Twilio stand-in the channel
examples start) under the same relative paths, against a real `contacthub
serve` that the examples themselves start and stop.
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

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
TOUR_HEADING = "## A short tour"
# Where docs/channels.md says the tour's first blocks (start a hub, send an SMS,
# find the customer) come in: after the settings the hub must start with.
TOUR_RUNS_HERE = "<!-- the README tour's first three blocks run here"
HUB_BLOCKS = 3
BASH_BLOCK = re.compile(r"^```bash\n(.*?)^```$", flags=re.MULTILINE | re.DOTALL)


def tour_blocks() -> list[str]:
    """The ```bash blocks between the tour's heading and the next section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split(TOUR_HEADING + "\n", 1)[1]
    section = re.split(r"^## ", section, maxsplit=1, flags=re.MULTILINE)[0]
    return BASH_BLOCK.findall(section)


def channel_example_blocks() -> list[str]:
    text = (ROOT / "docs" / "channels.md").read_text(encoding="utf-8")
    before, after = text.split(TOUR_RUNS_HERE, 1)
    hub = tour_blocks()[:HUB_BLOCKS]
    return [*BASH_BLOCK.findall(before), *hub, *BASH_BLOCK.findall(after)]


def run_blocks(blocks: list[str], tmp_path: Path) -> tuple[int, str, str, bool]:
    """Runs the blocks as one bash script; returns its exit code, its output, and
    whether a hub still answered on the port afterwards."""
    script = tmp_path / "examples.sh"
    # -e and pipefail: a failing command in any block fails the run, as a
    # reader would notice it failing.
    script.write_text("set -euo pipefail\n" + "\n".join(blocks), encoding="utf-8")
    (tmp_path / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    (tmp_path / "tests").symlink_to(ROOT / "tests", target_is_directory=True)
    port = free_port()
    # A fresh shell: none of the hub's settings from the test run leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTACTHUB_")}
    env |= {"PORT": str(port), "TMPDIR": str(tmp_path), "HOME": str(tmp_path)}
    # Its own session, so that whatever the examples left running ends with it.
    proc = subprocess.Popen(
        ["bash", str(script)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=60)
        # The last block stopped the hub the first one started (before this cleanup).
        left_running = hub_answers(port)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    return proc.returncode, out, err, left_running


def hub_answers(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
    except httpx.TransportError:
        return False
    return True


def test_the_readme_tour_runs_as_written(tmp_path: Path) -> None:
    blocks = tour_blocks()
    assert len(blocks) >= 5, "the tour's bash blocks were not found under its heading"
    code, out, err, left_running = run_blocks(blocks, tmp_path)

    assert code == 0, f"the tour failed:\n{out[-3000:]}\n{err[-3000:]}"
    assert '"status":"ready"' in out
    assert "<Response/>" in out
    assert "customer: " in out and "Hallo, mein Gerät ist defekt" in out
    assert "again: 200" in out
    assert "forged: 403" in out
    assert "interactions: 1" in out
    assert re.search(r"^[0-9a-f-]{36}\.pdf$", out, flags=re.MULTILINE), out[-2000:]
    assert not left_running, "the tour left its hub running"


def test_the_channel_examples_run_as_written(tmp_path: Path) -> None:
    code, out, err, left_running = run_blocks(channel_example_blocks(), tmp_path)

    assert code == 0, f"the examples failed:\n{out[-3000:]}\n{err[-3000:]}"
    # Through the Twilio stand-in: an SMS, a click-to-call and a WhatsApp message.
    assert out.count('"status":"queued"') == 3, out[-3000:]
    assert '"provider_call_id":"CA' in out
    assert re.search(r"^letter: [0-9a-f-]{36}$", out, flags=re.MULTILINE), out[-3000:]
    assert '"status":"posted"' in out
    assert '"text_extracted":true' in out
    # A decision without a purpose holds for every purpose of the channel.
    assert (
        '{"channels":{"sms":false,"voice":true},"purposes":'
        '{"sms":{"service":false,"marketing":false},"voice":{"service":true,"marketing":true}}}'
    ) in out
    assert '"detail"' not in out, out[-3000:]  # no command was refused
    assert not left_running, "the examples left their hub running"
