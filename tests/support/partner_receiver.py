"""A partner's webhook endpoint for tests: a real HTTP server on loopback.

It records every request it gets (headers and body) and answers 200, or 503
while `failing` is above zero (counting down with each request). Before
`start()` nothing listens on its port: a connection is refused, as for an
endpoint that is down.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson


@dataclass(frozen=True)
class Received:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)


class PartnerReceiver:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}/hooks/contacthub"
        self.requests: list[Received] = []
        self.failing = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def delivered(self) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.status == 200]

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    status = 503 if receiver.failing > 0 else 200
                    if receiver.failing > 0:
                        receiver.failing -= 1
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    receiver.requests.append(Received(status, headers, body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
