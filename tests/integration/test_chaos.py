"""Chaos on the distributed setup (issue 18): signed SMS webhooks at a steady rate
into the real gateway process while recorder, projector and publisher are
SIGKILLed, PostgreSQL is crashed (`pg_ctl -m immediate stop`) and the broker is
stopped, each at seeded random moments and then restarted. Afterwards every
acknowledged webhook is recorded exactly once, bad inputs left nothing, the
events topic holds every stored event exactly once, and `contacthub replay
--verify` finds the read models equal to a fresh rebuild.

The run has its own PostgreSQL cluster (tests/support/pg_cluster.py: the shared
server must not be crashed) and its own broker behind a relay that can take it
down without erasing its memory storage (tests/support/broker_front.py). The
figures go to `chaos-report.json` in the test's folder and to the terminal
summary; bench/chaos.py runs the same with more faults.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.chaos import FAULT_KINDS, run_chaos

SEED = 18
RATE = 50  # webhooks per second
DURATION_S = 40.0  # of load at least; the faults fall inside it
FAULTS_PER_KIND = 2

# Five processes start (and restart) on a shared two-core machine: more than the
# suite's default timeout per test when the machine is busy.
pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(900)]


def test_chaos_loses_nothing_acknowledged_and_duplicates_nothing(
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    run = run_chaos(
        tmp_path,
        seed=SEED,
        rate=RATE,
        duration=DURATION_S,
        per_kind=FAULTS_PER_KIND,
        say=lambda line: print(line, flush=True),  # live with -s
    )
    record_property("chaos", json.dumps(run.report))
    print("\n" + "\n".join(run.log) + "\nchaos report " + json.dumps(run.report))

    assert run.faults == dict.fromkeys(FAULT_KINDS, FAULTS_PER_KIND)
    # The load went on through the faults, and the faults were felt: retries.
    assert run.report["messages_issued"] >= RATE * DURATION_S * 0.9
    assert run.report["acknowledged"] == run.report["messages_issued"]
    assert run.figures.retried > 0
    assert run.unexpected_exits == []
    # Bad inputs were refused with a 4xx and recorded nothing.
    assert run.figures.bad_inputs and set(run.figures.bad_inputs) <= {400, 401, 403, 422}
    assert run.verdict.bad_recorded == []
    # Every acknowledged webhook recorded exactly once, every event published once.
    assert run.verdict.losses == [], f"{len(run.verdict.losses)} acknowledged webhooks lost"
    assert run.verdict.duplicates_in_store == 0
    assert run.verdict.duplicates_on_topic == 0
    assert run.verdict.unpublished == 0
    # Read models equal a fresh rebuild.
    assert run.report["replay_verify_exit"] == 0, run.verify_output
