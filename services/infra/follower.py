"""The one worker-thread loop of the hub's followers (projector, complaint intake,
SLA scheduler): wait for a wake-up or the poll interval, do a round, and on an
error log it and back off before the next round; stop on request.

A round is a callable taking the stop flag, so a round that works through a long
backlog can check it between batches and not hold up shutdown. A failing round is
never fatal: the follower's position is durable, so the next round retries from it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

log = logging.getLogger(__name__)

BACK_OFF_SECONDS = 1.0
JOIN_SECONDS = 10.0

Round = Callable[[threading.Event], object]
T = TypeVar("T")


class Follower:
    def __init__(
        self,
        name: str,
        round: Round,
        *,
        poll_interval: float,
        back_off: float = BACK_OFF_SECONDS,
    ) -> None:
        self.name = name
        self.round = round
        self.poll_interval = poll_interval
        self.back_off = back_off
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def stopping(self) -> threading.Event:
        """Set once `stop()` was called: what a listener thread beside the loop watches."""
        return self._stop

    @property
    def started(self) -> bool:
        return self._thread is not None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self.name} was started before")
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Run the next round now instead of at the end of the poll interval."""
        self._wake.set()

    def stop(self, timeout: float = JOIN_SECONDS) -> None:
        """Asks the loop to stop and waits for the round in progress to finish."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.round(self._stop)
            except Exception:  # keep following; the next round retries from the position
                log.exception("%s round failed; retrying", self.name)
                self._stop.wait(self.back_off)


def each_until_stopped(
    items: Iterable[T], handle: Callable[[T], object], stop: threading.Event
) -> bool:
    """A round's work through its due items: `handle` each in order, but look at
    the stop flag before each one, so that a long backlog does not hold up
    shutdown (what is left is still due in the next round). False when it stopped
    before the end."""
    for item in items:
        if stop.is_set():
            return False
        handle(item)
    return True


class FollowedService:
    """Start, wake and stop of a service whose work runs in the rounds of its own
    `Follower` (appointment reminders, satisfaction surveys, the campaign
    sender): the owner controls the service, the follower runs the thread."""

    _follower: Follower

    def start(self) -> None:
        self._follower.start()

    def wake(self) -> None:
        self._follower.wake()

    def stop(self) -> None:
        self._follower.stop()
