"""The real `contacthub` command as a subprocess, on the same store as a test's hub."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from services.infra.settings import Settings

CLI = str(Path(sys.executable).parent / "contacthub")


def cli_env(settings: Settings) -> dict[str, str]:
    """The environment that points the command at the settings' store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTACTHUB_")}
    env["CONTACTHUB_DATA_DIR"] = str(settings.data_dir)
    if settings.database_url:
        env["CONTACTHUB_DATABASE_URL"] = settings.database_url
    return env


def run_cli(
    env: dict[str, str], *args: str, stdin: str | None = None, terminal: bool = False
) -> subprocess.CompletedProcess[str]:
    """Runs `contacthub ARGS`. `stdin` is piped in; `terminal` gives it a
    pseudo-terminal as standard input instead (what a person at a shell has);
    with neither, standard input is empty (not a terminal)."""
    if terminal:
        primary, secondary = pty.openpty()
        try:
            return subprocess.run(
                [CLI, *args], env=env, stdin=secondary, capture_output=True, text=True, timeout=60
            )
        finally:
            os.close(primary)
            os.close(secondary)
    return subprocess.run(
        [CLI, *args], env=env, input=stdin or "", capture_output=True, text=True, timeout=60
    )


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    return result.stdout.strip().splitlines()[-1]
