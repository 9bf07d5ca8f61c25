"""Chaos, longer than the test command's run: the same code (tests/support/chaos.py)
with more load and more faults of every kind.

Signed SMS webhooks at a steady rate into `contacthub run gateway` while
recorder, projector and publisher are SIGKILLed, the private PostgreSQL is
crashed (`pg_ctl -m immediate stop`) and the broker stopped, each restarted
after a short pause; then every acknowledged webhook must be recorded exactly
once, the events topic hold each event once, and `contacthub replay --verify`
pass. Prints the JSON report and writes it to --out (default: a temporary folder).

    PYTHONPATH=. .venv/bin/python bench/chaos.py [--seed 1] [--rate 150]
        [--duration 240] [--per-kind 8] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from tests.support.chaos import run_chaos


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=150.0, help="webhooks per second")
    parser.add_argument("--duration", type=float, default=240.0, help="seconds of load")
    parser.add_argument("--per-kind", type=int, default=8, help="faults of each kind")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="contacthub-chaos-"))
    out.mkdir(parents=True, exist_ok=True)
    run = run_chaos(
        out,
        seed=args.seed,
        rate=args.rate,
        duration=args.duration,
        per_kind=args.per_kind,
        say=lambda line: print(line, flush=True),
    )
    print(json.dumps(run.report, indent=2))
    print(f"report: {out / 'chaos-report.json'}")
    verdict = run.verdict
    clean = (
        not verdict.losses
        and verdict.duplicates_in_store == 0
        and not verdict.bad_recorded
        and verdict.duplicates_on_topic == 0
        and verdict.unpublished == 0
        and not run.unexpected_exits
        and run.report["replay_verify_exit"] == 0
    )
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
