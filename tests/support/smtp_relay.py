"""A real SMTP relay on loopback (aiosmtpd) that keeps what it receives.

It stands in for the outbound relay: the hub talks real SMTP to it, and tests
read back the exact bytes it was handed. `answer_next` makes it refuse the
next message with a given SMTP reply.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.ports import free_port


@dataclass(frozen=True)
class Relayed:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.raw)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _Handler:
    def __init__(self) -> None:
        self.received: list[Relayed] = []
        self.answers: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.answers:
                return self.answers.pop(0)
            self.received.append(
                Relayed(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        return "250 2.0.0 Ok: queued as TEST"


class SmtpRelay:
    def __init__(self) -> None:
        self.port = free_port()
        self._handler = _Handler()
        self._controller = Controller(self._handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Relayed]:
        with self._handler.lock:
            return list(self._handler.received)

    def answer_next(self, reply: str) -> None:
        with self._handler.lock:
            self._handler.answers.append(reply)

    def __enter__(self) -> SmtpRelay:
        self._controller.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._controller.stop()
