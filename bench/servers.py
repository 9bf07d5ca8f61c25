"""The processes under test, started as an operator would, with their peak RSS."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

VENV_BIN = Path(sys.executable).parent


class PeakRss:
    """Samples a process tree's resident memory every 100 ms."""

    def __init__(self, pid: int) -> None:
        self.peak = 0
        self.series: list[tuple[float, int]] = []  # (seconds since start, bytes), every second
        self._started = time.monotonic()
        self._process = psutil.Process(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                rss = self._process.memory_info().rss
                rss += sum(c.memory_info().rss for c in self._process.children(recursive=True))
                self.peak = max(self.peak, rss)
                elapsed = time.monotonic() - self._started
                if not self.series or elapsed - self.series[-1][0] >= 1.0:
                    self.series.append((elapsed, rss))
            except psutil.Error:
                return
            self._stop.wait(0.1)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


@contextmanager
def process(args: list[str], env: dict[str, str], ready_url: str) -> Iterator[PeakRss]:
    folder = Path(env.get("CONTACTHUB_DATA_DIR", "."))
    folder.mkdir(parents=True, exist_ok=True)
    log = open(folder / f"{Path(args[0]).name}.log", "ab")  # noqa: SIM115 (closed in finally)
    proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180  # a loaded shared machine starts slowly
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{args} exited with {proc.returncode}; see {log.name}")
        try:
            if httpx.get(ready_url, timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"{args} not ready within 180 s")
        time.sleep(0.1)
    rss = PeakRss(proc.pid)
    try:
        yield rss
    finally:
        rss.stop()
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def hub_env(data_dir: Path, database_url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTACTHUB_")}
    env["CONTACTHUB_DATA_DIR"] = str(data_dir)
    if database_url:
        env["CONTACTHUB_DATABASE_URL"] = database_url
    env.update(extra)
    return env
