#!/usr/bin/env bash
# The benchmark command: sets up what it needs (the test command's .venv and
# PostgreSQL, plus wrk and the bench extras), then runs bench/harness.py.
# Arguments go to the harness: --quick (under three minutes), --out DIR.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CONTACTHUB_SETUP_ONLY=1 CONTACTHUB_EXTRAS=test,bench bash tests/run.sh
if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then apt-get update -q && apt-get install -y -q wrk
    else sudo apt-get update -q && sudo apt-get install -y -q wrk; fi
fi
export CONTACTHUB_TEST_DATABASE_URL="${CONTACTHUB_TEST_DATABASE_URL:-postgresql://contacthub:contacthub@127.0.0.1:5432/contacthub}"
PYTHONPATH="$ROOT" exec .venv/bin/python bench/harness.py "$@"
