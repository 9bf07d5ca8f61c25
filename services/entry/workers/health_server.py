"""`/healthz` and `/readyz` for the processes without an HTTP app (recorder,
projector, publisher), so Kubernetes probes them the same way as the others.

`/healthz` fails once the process's main loop has not ticked for `stuck_after`
seconds (a hung consumer is restarted); `/readyz` additionally asks `ready`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import orjson


class Heartbeat:
    def __init__(self) -> None:
        self.last = time.monotonic()

    def beat(self) -> None:
        self.last = time.monotonic()

    def age(self) -> float:
        return time.monotonic() - self.last


async def serve_health(
    host: str,
    port: int,
    heartbeat: Heartbeat,
    ready: Callable[[], Awaitable[str]],
    stuck_after: float = 60.0,
) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), 5)
            path = line.split()[1].decode() if len(line.split()) > 1 else "/"
            alive = heartbeat.age() < stuck_after
            body: dict[str, object] = {"loop_age_s": round(heartbeat.age(), 1)}
            if path == "/healthz":
                ok = alive
            elif path == "/readyz":
                state = await ready() if alive else "stuck"
                body["store"] = state
                ok = alive and state == "ok"
            else:
                writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                return
            body["status"] = "ok" if ok else "unavailable"
            payload = orjson.dumps(body)
            status = b"200 OK" if ok else b"503 Service Unavailable"
            writer.write(
                b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
                b"Connection: close\r\nContent-Length: "
                + str(len(payload)).encode()
                + b"\r\n\r\n"
                + payload
            )
            await writer.drain()
        except (OSError, TimeoutError, IndexError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port)
