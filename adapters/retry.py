"""Retries with exponential backoff, for provider calls that are safe to repeat.

A send is repeated only when the provider certainly did not act on it: the
connection was never made, or the provider answered that it refused the
request for now (Twilio's 429 and 503, an SMTP 4xx reply). A timeout after the
request went out is not repeated: the provider may have sent the message, and
a second try could send it twice. The callers say which failure is which
(`unsent`); this module only waits and tries again.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """`attempts` in all (1: no retry); the n-th wait is base * 2**n, at most `cap`."""

    attempts: int = 3
    base_seconds: float = 0.2
    cap_seconds: float = 2.0

    def delays(self) -> list[float]:
        return [min(self.cap_seconds, self.base_seconds * 2**n) for n in range(self.attempts - 1)]


# What the senders use unless told otherwise: 3 attempts, 0.2 s then 0.4 s apart.
DEFAULT_BACKOFF = Backoff()


def retry_sync(call: Callable[[], T], unsent: Callable[[Exception], bool], backoff: Backoff) -> T:
    for delay in backoff.delays():
        try:
            return call()
        except Exception as exc:
            if not unsent(exc):
                raise
        time.sleep(delay)
    return call()


async def retry_async(
    call: Callable[[], Awaitable[T]], unsent: Callable[[Exception], bool], backoff: Backoff
) -> T:
    for delay in backoff.delays():
        try:
            return await call()
        except Exception as exc:
            if not unsent(exc):
                raise
        await anyio.sleep(delay)
    return await call()
