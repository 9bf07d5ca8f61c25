"""A private PostgreSQL cluster for tests that stop the server under load.

The machine's PostgreSQL on 5432 is shared by every test session (and by other
people): a test that crashes the server (`pg_ctl -m immediate stop`) needs one
of its own. `PrivateCluster` runs Debian's binaries (initdb, pg_ctl) on a free
loopback port with trust auth and a data folder in /tmp. PostgreSQL refuses to
run as root, so when the tests run as root (CI here) the binaries run as the
`postgres` OS user via runuser, and the folder belongs to that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import psycopg

from tests.support.ports import free_port

PG_BIN_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "contacthub"
DATABASE = "contacthub"
START_TIMEOUT_S = 30


def pg_bin_dir() -> Path:
    """The newest installed Debian PostgreSQL's bin folder (tests/run.sh installs it)."""
    versions = sorted(
        (p for p in PG_BIN_ROOT.glob("*/bin") if (p / "pg_ctl").is_file()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not versions:
        raise RuntimeError(f"no PostgreSQL binaries under {PG_BIN_ROOT}: run tests/run.sh")
    return versions[-1]


class PrivateCluster:
    """initdb + pg_ctl on a port of its own; `crash()` is `pg_ctl -m immediate stop`."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.bin = pg_bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="contacthub-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.url = f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"
        self._owner = "postgres" if os.geteuid() == 0 else None

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._owner is not None:
            command = ["runuser", "-u", self._owner, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.root)
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args[:2])} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
                f"\n{self.tail()}"
            )

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def create(self) -> None:
        if self._owner is not None:
            owner = pwd.getpwnam(self._owner)
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        self.start()
        with psycopg.connect(self.admin_url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")

    def admin_url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        """Starts the server (after a crash: crash recovery) and waits until it answers."""
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
            " -c shared_buffers=32MB -c max_connections=60"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.accepts():
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL on {self.port} did not come up:\n{self.tail()}")
            time.sleep(0.05)

    def accepts(self) -> bool:
        try:
            with psycopg.connect(self.admin_url(), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.OperationalError:
            return False

    def crash(self) -> None:
        """`pg_ctl -m immediate stop`: every backend killed, no checkpoint, recovery at start."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "stop")

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivateCluster:
        try:
            self.create()
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()
