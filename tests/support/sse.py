"""A small server-sent events listener for tests: a thread reads the stream and
queues each event with the time it arrived; `drop()` cuts the connection."""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import orjson


@dataclass(frozen=True)
class Received:
    id: int
    event: str
    data: dict[str, Any]
    at: float  # time.monotonic() on arrival


class SseListener:
    def __init__(self, url: str, token: str, last_event_id: int | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.events: queue.Queue[Received] = queue.Queue()
        self._client = httpx.Client(timeout=httpx.Timeout(10, read=None))
        self._response = self._client.send(
            self._client.build_request("GET", url, headers=headers), stream=True
        )
        self.status_code = self._response.status_code
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        fields: dict[str, str] = {}
        try:
            for line in self._response.iter_lines():
                if not line:
                    if "data" in fields and "id" in fields:
                        self.events.put(
                            Received(
                                int(fields["id"]),
                                fields.get("event", "message"),
                                orjson.loads(fields["data"]),
                                time.monotonic(),
                            )
                        )
                    fields = {}
                    continue
                if line.startswith(":"):
                    continue  # a ping comment
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
        except Exception:
            return  # dropped

    def next(self, timeout: float) -> Received:
        return self.events.get(timeout=timeout)

    def until(self, predicate: Any, timeout: float) -> Received:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching server-sent event within {timeout}s")
            try:
                received = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if predicate(received):
                return received

    def drain(self) -> list[Received]:
        found = []
        while True:
            try:
                found.append(self.events.get_nowait())
            except queue.Empty:
                return found

    def drop(self) -> None:
        # Closing the response does not wake a blocked read: cut the socket itself,
        # as a lost network would.
        stream = self._response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)
        self._response.close()
        self._client.close()
