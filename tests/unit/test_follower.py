"""The one worker-thread loop (services/infra/follower.py), on real threads.

The poll interval is an hour throughout: a round that happens at all within
the tests' generous waits was caused by a wake-up, not by the clock.
"""

from __future__ import annotations

import logging
import threading

import pytest

from services.infra.follower import Follower, each_until_stopped

HOUR = 3600.0
WAIT = 10.0  # far longer than any round here takes; never reached when things work


class Rounds:
    """A round that counts itself and lets the test see each one happen."""

    def __init__(self, fail_first: int = 0) -> None:
        self.count = 0
        self.fail_first = fail_first
        self.happened = threading.Event()
        self.saw_stop = threading.Event()

    def __call__(self, stop: threading.Event) -> None:
        self.count += 1
        if self.count <= self.fail_first:
            raise RuntimeError(f"round {self.count} fails")
        if stop.is_set():
            self.saw_stop.set()
        self.happened.set()


def test_a_wake_up_runs_a_round_long_before_the_poll_interval() -> None:
    rounds = Rounds()
    follower = Follower("test-follower", rounds, poll_interval=HOUR)
    follower.start()
    try:
        assert follower.running
        assert not rounds.happened.wait(0.2)  # nothing to do until woken
        follower.wake()
        assert rounds.happened.wait(WAIT)
        assert rounds.count == 1
    finally:
        follower.stop()


def test_a_wake_up_before_start_is_kept() -> None:
    rounds = Rounds()
    follower = Follower("test-follower", rounds, poll_interval=HOUR)
    follower.wake()
    follower.start()
    try:
        assert rounds.happened.wait(WAIT)
    finally:
        follower.stop()


def test_the_poll_interval_runs_rounds_without_wake_ups() -> None:
    rounds = Rounds()
    follower = Follower("test-follower", rounds, poll_interval=0.01)
    follower.start()
    try:
        assert rounds.happened.wait(WAIT)
    finally:
        follower.stop()


def test_a_failing_round_is_logged_and_the_loop_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rounds = Rounds(fail_first=2)
    follower = Follower("test-follower", rounds, poll_interval=0.01, back_off=0.01)
    with caplog.at_level(logging.ERROR, logger="services.infra.follower"):
        follower.start()
        try:
            assert rounds.happened.wait(WAIT)
        finally:
            follower.stop()
    assert rounds.count >= 3
    failures = [r for r in caplog.records if "test-follower round failed" in r.getMessage()]
    assert len(failures) == 2
    assert all(r.exc_info is not None for r in failures)


def test_stop_ends_the_thread_and_interrupts_the_poll_wait() -> None:
    rounds = Rounds()
    follower = Follower("test-follower", rounds, poll_interval=HOUR)
    follower.start()
    follower.stop()  # returns although the loop was waiting out an hour
    assert not follower.running
    assert rounds.count == 0  # stopping does not run one more round
    follower.wake()  # waking a stopped follower does nothing
    assert not rounds.happened.wait(0.2)


def test_a_long_round_sees_the_stop_request_and_stop_waits_for_it() -> None:
    started = threading.Event()
    finished = threading.Event()

    def backlog(stop: threading.Event) -> None:
        started.set()
        while not stop.is_set():  # batch after batch, checking between them
            stop.wait(0.01)
        finished.set()

    follower = Follower("test-follower", backlog, poll_interval=HOUR)
    follower.wake()
    follower.start()
    assert started.wait(WAIT)
    follower.stop()
    assert finished.is_set()  # stop() returned only after the round ended
    assert not follower.running


def test_a_follower_starts_once() -> None:
    follower = Follower("test-follower", Rounds(), poll_interval=HOUR)
    follower.start()
    try:
        with pytest.raises(RuntimeError, match="started before"):
            follower.start()
    finally:
        follower.stop()


def test_a_round_through_due_items_stops_at_the_stop_flag_and_says_so() -> None:
    stop = threading.Event()
    handled: list[int] = []

    def handle(item: int) -> None:
        handled.append(item)
        if item == 2:
            stop.set()  # shutdown asked for while item 2 was handled

    assert each_until_stopped([1, 2, 3], handle, stop) is False
    assert handled == [1, 2]  # 3 is left due for the next round
    assert each_until_stopped([4], handled.append, threading.Event()) is True
    assert handled == [1, 2, 4]
