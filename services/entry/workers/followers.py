"""`contacthub serve`'s second process: the followers (projector, complaint
intake and SLA scheduler, reminders, surveys, campaign sender, partner
webhooks, retention; services/wiring/followers.py) beside the HTTP process.

Why a process: CPython runs one thread at a time per process. With the
followers beside the webhooks, every webhook waited for the projector's and the
complaint intake's Python work as well as its own: `serve` took ~330 signed
webhooks/s on SQLite on this project's 2-core machine, ~710/s with the
followers in a process of their own (bench/serve_probe.py, docs/performance.md).

The HTTP process wakes the followers after every write through a pipe: one byte
per wake, written without blocking (a full pipe already holds a wake). The
pipe also carries the parent's life: when it closes, whether `serve` stopped
or died, the child stops its followers and exits. A child that exits on its own
is started again after a second; meanwhile /readyz answers 503.

    python -m services.entry.workers.followers --host H --port P --wake-fd N
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from contextlib import suppress

log = logging.getLogger(__name__)

RESTART_SECONDS = 1.0
STOP_SECONDS = 20.0


class FollowersProcess:
    """The parent's handle: start, wake, watch and stop the followers' process."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None
        self._wake_fd: int | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    def start(self) -> None:
        self._spawn()
        self._watcher = threading.Thread(target=self._watch, name="followers-watch", daemon=True)
        self._watcher.start()

    def _spawn(self) -> None:
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        command = [
            sys.executable,
            "-m",
            __name__,
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--wake-fd",
            str(read_fd),
        ]
        with self._lock:
            self._process = subprocess.Popen(command, pass_fds=(read_fd,))
            os.close(read_fd)
            self._wake_fd = write_fd

    def wake(self) -> None:
        """After a write: the followers look at the log now. Never blocks."""
        fd = self._wake_fd
        if fd is None:
            return
        # A full pipe holds a wake already; a closed one is a child being restarted.
        with suppress(OSError):
            os.write(fd, b"w")

    @property
    def alive(self) -> bool:
        process = self._process
        return process is not None and process.poll() is None

    def status(self) -> str:
        return "ok" if self.alive else "restarting"

    def _watch(self) -> None:
        while not self._stopping.is_set():
            process = self._process
            assert process is not None
            code = process.wait()
            if self._stopping.is_set():
                return
            log.error("the followers' process exited with %s; starting it again", code)
            self._close_pipe()
            if self._stopping.wait(RESTART_SECONDS):
                return
            self._spawn()

    def _close_pipe(self) -> None:
        with self._lock:
            fd, self._wake_fd = self._wake_fd, None
        if fd is not None:
            os.close(fd)

    def stop(self) -> None:
        """Closes the pipe (the child's signal to stop) and waits for it."""
        self._stopping.set()
        self._close_pipe()
        process = self._process
        if process is None:
            return
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            log.error("the followers' process did not stop within %s s; killing it", STOP_SECONDS)
            process.kill()
            process.wait()
        if self._watcher is not None:
            self._watcher.join(timeout=STOP_SECONDS)


def follow_wakes(wake_fd: int, on_wake: Callable[[], None], stop: threading.Event) -> None:
    """Reads the pipe: each read wakes the followers; end of file stops them."""
    while True:
        try:
            data = os.read(wake_fd, 4096)
        except OSError:
            data = b""
        if not data:
            stop.set()
            return
        on_wake()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--wake-fd", type=int, required=True)
    args = parser.parse_args(argv)

    from services.entry.workers.processes import tune_gc_for_batches
    from services.infra.settings import Settings
    from services.wiring.followers import start_followers, stop_followers
    from services.wiring.hub import build_hub

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # The parent's settings: the same environment, the same address.
    settings = Settings().listening_on(args.host, args.port)
    stop = threading.Event()
    # Ctrl-C reaches the whole process group; `serve` stops us by closing the pipe.
    signal.signal(signal.SIGINT, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    hub = build_hub(settings)
    tune_gc_for_batches()  # as `contacthub run projector`: batches of events
    reader = threading.Thread(
        target=follow_wakes,
        args=(args.wake_fd, hub.wake_followers, stop),
        name="followers-wakes",
        daemon=True,
    )
    reader.start()
    try:
        start_followers(hub)
        stop.wait()
    finally:
        stop_followers(hub)
        hub.close()


if __name__ == "__main__":
    main()
